// Every page and asset is served with the headers that keep it what it is: its media type with
// UTF-8, a Content-Security-Policy allowing only its own scripts and styles, no sniffing, no
// referrer, no caching, and a Permissions-Policy that lets only the verifier's page ask for the
// camera. The pages link their icon, so a browser does not ask for a /favicon.ico that is not there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { webFiles } from './routes/page.js'
import { startTestServer, type TestServer } from './test-support/test-server.js'

let running: TestServer
let base = ''
beforeAll(async () => {
  running = await startTestServer()
  const address = running.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  base = `http://127.0.0.1:${address.port}`
})
afterAll(() => running.app.close())

describe('the pages and their assets', () => {
  it.each(Object.entries(webFiles))('%s has its media type and the pages’ headers', async (path, entry) => {
    const response = await fetch(`${base}${path}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(`${entry.mediaType}; charset=utf-8`)
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self';/)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const permissions = response.headers.get('permissions-policy')
    expect(permissions).toMatch(/microphone=\(\), geolocation=\(\)/)
    expect(permissions).toMatch(path === '/verify' ? /^camera=\(self\),/ : /^camera=\(\),/)
    expect((await response.text()).length).toBeGreaterThan(0)
  })

  it('links the icon from both pages, and the icon is an SVG image', async () => {
    for (const page of ['/', '/verify']) {
      const html = await (await fetch(`${base}${page}`)).text()
      expect(html, page).toContain('<link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />')
    }
    expect(await (await fetch(`${base}/assets/icon.svg`)).text()).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    )
  })
})
