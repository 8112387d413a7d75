// The credential end to end in Debian's headless Chromium, on a server whose clock is real time (the
// browser's too): the holder's page makes a non-extractable P-256 device key in IndexedDB, obtains
// an SD-JWT VC for it and shows a QR code of a presentation its device key re-signs every few
// seconds; a second browser whose camera is a fake one fed the rendered QR code (a y4m video made
// from the page's own canvas) scans it on the verifier's page and hears VALID. The same text two
// minutes later is stale (the screenshot case); one signed by another device key is refused; after
// a RenewLicence that changes the classes, the status list makes it INVALID.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chinaMainlandCalendar, commandHandler, inMemoryEventStore, licenceDecider } from '@elicence/domain'
import { defaultDisclosures, presentCredential } from '@elicence/projections'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyCommand,
  chromiumArgs,
  chromiumPath,
  licenceNumber,
  recordLicenceCommand,
  renewToClassesCommand,
  reviewCommand,
  startTestServer,
  type TestServer,
  testTokens as tokens,
} from './test-support/test-server.js'

const day = 24 * 3600_000
let running: TestServer
let browser: Browser
let folder: string

/** A history in the past of the real clock: recorded and applied 20 days ago, issued yesterday. */
const issuedYesterday = async () => {
  const store = inMemoryEventStore()
  const handle = commandHandler({ store, decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day).toISOString()
  const as = (command: { metadata: object }, role: string, id: string, when: string) => ({
    ...command,
    metadata: { ...command.metadata, at: when, actor: { role, id } },
  })
  for (const command of [
    as(recordLicenceCommand(), 'registry', 'registry-1', at(21)),
    as(applyCommand(), 'holder', 'acct-holder', at(20)),
    as(reviewCommand(), 'reviewer', 'reviewer-1', at(1)),
  ]) {
    const outcome = await handle(command)
    if (outcome._tag === 'Left') throw new Error(JSON.stringify(outcome.left))
  }
  return store
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'elicence-e2e-'))
  running = await startTestServer({ store: await issuedYesterday(), running: true })
  browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] })
})

afterAll(async () => {
  await browser?.close()
  await running?.app.close()
  rmSync(folder, { recursive: true, force: true })
})

const holderPage = async (): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } })
  await page.goto(
    `${running.api.baseUrl}/#licence=${licenceNumber}&token=${encodeURIComponent(tokens.holder)}`,
  )
  await page.locator('#presentation').waitFor({ state: 'visible' })
  return page
}

/** The QR code as the page drew it: one boolean per module, read from the canvas pixels. */
const renderedModules = (page: Page): Promise<boolean[][]> =>
  page.locator('#qr').evaluate((canvas: HTMLCanvasElement) => {
    const modules = Number(canvas.dataset.modules)
    const pixels = canvas.width / modules
    const image = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height)
    if (image === undefined) throw new Error('no canvas context')
    return Array.from({ length: modules }, (_, y) =>
      Array.from({ length: modules }, (_, x) => {
        const centre = (Math.floor((y + 0.5) * pixels) * canvas.width + Math.floor((x + 0.5) * pixels)) * 4
        return (image.data[centre] ?? 255) < 128
      }),
    )
  })

/** A y4m video (4:2:0, 640×480, a few identical frames) showing the modules on white. */
const y4mOf = (modules: boolean[][]): Buffer => {
  const width = 640
  const height = 480
  const scale = Math.floor(Math.min(width, height) / modules.length)
  const left = Math.floor((width - modules.length * scale) / 2)
  const top = Math.floor((height - modules.length * scale) / 2)
  const luma = Buffer.alloc(width * height, 235)
  for (const [y, row] of modules.entries()) {
    for (const [x, dark] of row.entries()) {
      if (!dark) continue
      for (let dy = 0; dy < scale; dy++) {
        const start = (top + y * scale + dy) * width + left + x * scale
        luma.fill(16, start, start + scale)
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128)
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma])
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`),
    ...Array(10).fill(frame),
  ])
}

const verifierPage = async (on: Browser = browser): Promise<Page> => {
  const page = await on.newPage({ viewport: { width: 420, height: 900 } })
  await page.goto(`${running.api.baseUrl}/verify#token=${encodeURIComponent(tokens.verifier)}`)
  return page
}

const pasteAndVerify = async (page: Page, text: string) => {
  await page.locator('textarea[name="presentation"]').fill(text)
  await page.locator('#result').evaluate((element) => element.removeAttribute('data-valid'))
  await page.locator('button[type="submit"]').click()
  await page.locator('#result[data-valid]').waitFor()
  return {
    valid: await page.locator('#result').getAttribute('data-valid'),
    reasons: await page
      .locator('#why li[data-reason]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-reason'))),
    words: await page.locator('#why').textContent(),
    details: await page.locator('#details').textContent(),
  }
}

describe('the e-licence credential in the browser', () => {
  it('makes a non-extractable P-256 device key in IndexedDB and takes the token out of the URL', async () => {
    const page = await holderPage()
    try {
      expect(page.url()).toBe(`${running.api.baseUrl}/`)
      const key = await page.evaluate(
        (licence) =>
          new Promise<{ extractable: boolean; curve: string; usages: string[] }>((resolve, reject) => {
            const open = indexedDB.open('elicence-wallet')
            open.onsuccess = () => {
              const get = open.result
                .transaction('records')
                .objectStore('records')
                .get(`device-key:${licence}`)
              get.onsuccess = () =>
                resolve({
                  extractable: get.result.privateKey.extractable,
                  curve: get.result.privateKey.algorithm.namedCurve,
                  usages: get.result.privateKey.usages,
                })
              get.onerror = () => reject(get.error)
            }
          }),
        licenceNumber,
      )
      expect(key).toEqual({ extractable: false, curve: 'P-256', usages: ['sign'] })
      // A size a phone camera reads, with the 4-module quiet zone.
      const text = await page.locator('#presentation-text').inputValue()
      const modules = Number(await page.locator('#qr').getAttribute('data-modules'))
      const version = Number(await page.locator('#qr').getAttribute('data-version'))
      expect(modules).toBe(17 + 4 * version + 8)
      // Measured: about 2,100 characters, version 34 at level L (161 modules with the quiet zone),
      // 6 device pixels a module on a 360 px wide canvas at a phone's 3× density.
      expect(version).toBeLessThanOrEqual(35)
      expect(text.length).toBeLessThan(2300)
      const grid = await renderedModules(page)
      expect(grid.slice(0, 4).flat().some(Boolean)).toBe(false) // the quiet zone is white
      // The default disclosures: never the licence number.
      const decoded = text
        .split(/[~.]/)
        .map((part) => Buffer.from(part, 'base64url').toString('utf8'))
        .join('\n')
      expect(decoded).not.toContain(licenceNumber)
      expect(decoded).toContain('masked_name')
      // Re-signed every few seconds.
      await page.waitForFunction(
        (before) => (document.getElementById('presentation-text') as HTMLTextAreaElement).value !== before,
        text,
        { timeout: 15_000 },
      )
    } finally {
      await page.close()
    }
  })

  it('the verifier’s page reads the QR code through the camera and says VALID, in plain words', async () => {
    const holder = await holderPage()
    const video = join(folder, 'qr.y4m')
    writeFileSync(video, y4mOf(await renderedModules(holder)))
    await holder.close()
    const cameraBrowser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        ...chromiumArgs,
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    })
    try {
      const verifier = await verifierPage(cameraBrowser)
      await verifier.locator('#scan').click()
      await verifier.locator('#result[data-valid]').waitFor({ timeout: 30_000 })
      expect(await verifier.locator('#result').getAttribute('data-valid')).toBe('true')
      expect(await verifier.locator('#verdict').textContent()).toContain('VALID')
      const details = await verifier.locator('#details').textContent()
      expect(details).toContain('张*')
      expect(details).toContain('C1')
      expect(details).not.toContain(licenceNumber)
      expect(await verifier.locator('#why').textContent()).toContain('shown live from the holder’s own phone')
      // Scanning the next holder: the last verdict is gone at once, and the preview, asked for at
      // 1920 px, fits a phone's width.
      await verifier.setViewportSize({ width: 360, height: 800 })
      await verifier.locator('#scan').click()
      expect(await verifier.locator('#result').isHidden()).toBe(true)
      await verifier.locator('#camera').waitFor({ state: 'visible' })
      expect(
        await verifier.evaluate(() => [
          document.documentElement.scrollWidth,
          document.documentElement.clientWidth,
        ]),
      ).toEqual([360, 360])
      await verifier.locator('#result[data-valid]').waitFor({ timeout: 30_000 })
    } finally {
      await cameraBrowser.close()
    }
  })

  it('refuses the same code two minutes later (a screenshot), and one signed by another device key', async () => {
    const holder = await holderPage()
    const verifier = await verifierPage()
    try {
      const text = await holder.locator('#presentation-text').inputValue()
      expect((await pasteAndVerify(verifier, text)).valid).toBe('true')
      running.advance(120)
      const stale = await pasteAndVerify(verifier, text)
      running.advance(-120)
      expect(stale).toMatchObject({ valid: 'false', reasons: ['presentation-stale'] })
      expect(stale.words).toContain('screenshot')

      // The credential copied off the phone, presented with a key that is not the device's.
      const credential = await holder.evaluate(
        (licence) =>
          new Promise<string>((resolve) => {
            const open = indexedDB.open('elicence-wallet')
            open.onsuccess = () => {
              const get = open.result
                .transaction('records')
                .objectStore('records')
                .get(`credential:${licence}`)
              get.onsuccess = () => resolve(get.result.credential)
            }
          }),
        licenceNumber,
      )
      const thief = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
      ])) as CryptoKeyPair
      const copied = await presentCredential(credential, {
        disclose: defaultDisclosures,
        deviceKey: thief.privateKey,
        algorithm: 'ES256',
        audience: running.api.baseUrl,
        nonce: 'copied',
        now: Date.now(),
      })
      const refused = await pasteAndVerify(verifier, copied)
      expect(refused).toMatchObject({ valid: 'false', reasons: ['key-binding-signature-invalid'] })
      expect(refused.words).toContain('a copy')
      // Made for another service: the page checks the audience it is the origin of.
      const elsewhere = await presentCredential(credential, {
        disclose: defaultDisclosures,
        deviceKey: thief.privateKey,
        algorithm: 'ES256',
        audience: 'https://other-service.example',
        nonce: 'elsewhere',
        now: Date.now(),
      })
      expect((await pasteAndVerify(verifier, elsewhere)).reasons).toEqual([
        'key-binding-signature-invalid',
        'audience-mismatch',
      ])
    } finally {
      await holder.close()
      await verifier.close()
    }
  })

  it('with a check code on the verifier’s page, accepts only a QR code the holder made with it', async () => {
    const holder = await holderPage()
    const verifier = await verifierPage()
    try {
      const before = await holder.locator('#presentation-text').inputValue()
      await verifier.locator('#new-code').click()
      const code = (await verifier.locator('#check-code').textContent()) ?? ''
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{6}$/)
      // Made before the code was shown: fresh, but not for this check.
      const refused = await pasteAndVerify(verifier, before)
      expect(refused).toMatchObject({ valid: 'false', reasons: ['nonce-mismatch'] })
      expect(refused.words).toContain('another check')
      // Typed in lower case on the phone: the next QR code carries it.
      await holder.locator('#check-code').fill(code.toLowerCase())
      await holder.waitForFunction(
        (previous) =>
          (document.querySelector('#presentation-text') as HTMLTextAreaElement).value !== previous,
        before,
      )
      const withCode = await holder.locator('#presentation-text').inputValue()
      expect(await pasteAndVerify(verifier, withCode)).toMatchObject({ valid: 'true', reasons: [] })
      // A new code for the next holder: the last one's presentation no longer passes.
      await verifier.locator('#new-code').click()
      expect((await pasteAndVerify(verifier, withCode)).reasons).toEqual(['nonce-mismatch'])
    } finally {
      await holder.close()
      await verifier.close()
    }
  })

  it('a check that could not be made says NOT CHECKED, never the last verdict nor INVALID for the holder', async () => {
    const holder = await holderPage()
    const verifier = await verifierPage()
    try {
      const text = await holder.locator('#presentation-text').inputValue()
      expect((await pasteAndVerify(verifier, text)).valid).toBe('true')
      // The service unreachable: the VALID of the last holder must not stay on screen.
      await verifier.route('**/presentations/verify', (route) => route.abort('connectionrefused'))
      const unreachable = await pasteAndVerify(verifier, 'the next holder’s screenshot')
      expect(unreachable.valid).toBe('unchecked')
      expect(await verifier.locator('#verdict').textContent()).toContain('NOT CHECKED')
      expect(unreachable.details).toContain('could not be reached')
      await verifier.unroute('**/presentations/verify')
      // A terminal whose token is refused: its own problem, said as such.
      const unknown = await browser.newPage()
      await unknown.goto(`${running.api.baseUrl}/verify#token=not-a-token-of-this-service`)
      expect(await unknown.locator('#token-field').isHidden()).toBe(true)
      const refused = await pasteAndVerify(unknown, text)
      expect(refused.valid).toBe('unchecked')
      expect(refused.details).toContain('not signed in')
      // The refused token is forgotten: the field for another shows, and one typed in checks.
      expect(await unknown.evaluate(() => sessionStorage.getItem('verifier-token'))).toBeNull()
      await unknown.locator('#token-field').waitFor({ state: 'visible' })
      await unknown.locator('#token-field input').fill(tokens.verifier)
      expect((await pasteAndVerify(unknown, text)).valid).toBe('true')
      await unknown.close()
      // Wrapped by a chat app: the line breaks are not part of the code.
      const wrapped = text.replace(/(.{76})/g, '$1\n')
      expect((await pasteAndVerify(verifier, wrapped)).valid).toBe('true')
    } finally {
      await holder.close()
      await verifier.close()
    }
  })

  it('an abnormal licence is ABNORMAL, not INVALID, and the status now is the list’s, apart from the status at issue', async () => {
    const holder = await holderPage()
    const verifier = await verifierPage()
    const status = (statuses: ReadonlyArray<string>) =>
      running.api.request('POST', '/commands', {
        token: tokens.registry,
        body: {
          type: 'ChangeLicenceStatus',
          data: { licenceNumber, statuses },
          metadata: { commandId: crypto.randomUUID() },
        },
      })
    try {
      const text = await holder.locator('#presentation-text').inputValue()
      expect((await status(['D'])).status).toBe(201)
      const abnormal = await pasteAndVerify(verifier, text)
      expect(abnormal).toMatchObject({ valid: 'false', reasons: ['status-suspended'] })
      expect(await verifier.locator('#verdict').textContent()).toContain('ABNORMAL')
      expect(abnormal.details).toContain('Status now异常')
      expect(abnormal.details).toContain('Status at issueA')
    } finally {
      expect((await status(['A'])).status).toBe(201)
      await holder.close()
      await verifier.close()
    }
  })

  it('after a RenewLicence that changes the classes, the verifier says INVALID through the status list', async () => {
    const holder = await holderPage()
    const verifier = await verifierPage()
    try {
      const text = await holder.locator('#presentation-text').inputValue()
      const renewed = await running.api.request('POST', '/commands', {
        token: tokens.registry,
        body: renewToClassesCommand(['B2']),
      })
      expect(renewed.status).toBe(201)
      // The next status list says so at once: the service's lists follow its own writes.
      const invalid = await pasteAndVerify(verifier, text)
      expect(invalid).toMatchObject({ valid: 'false', reasons: ['status-invalid'] })
      expect(invalid.words).toContain('invalidated')
      // The holder's page, reloaded, shows the e-licence invalidated and no code.
      await holder.reload()
      await holder.locator('#licence[data-state="invalidated"]').waitFor()
      expect(await holder.locator('#presentation').isHidden()).toBe(true)
    } finally {
      await holder.close()
      await verifier.close()
    }
  })
})
