// The web pages end to end: a real server on loopback and Debian's headless Chromium driven by
// playwright-core (never a downloaded browser). The holder's page shows the live e-licence — data,
// a ticking clock, a QR code of a fresh presentation, black when normal, red when abnormal, a clear
// state while pending review or awaiting a photo. The credential, its QR code and the verifier's
// page are in credential.e2e.test.ts. The server's clock is the test's; set
// ELICENCE_SCREENSHOTS=DIR to keep screenshots of each page.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyCommand,
  chromiumArgs,
  chromiumPath,
  licenceNumber,
  nextCommandId,
  otherLicenceNumber,
  recordLicenceCommand,
  reviewCommand,
  sendCommand,
  startTestServer,
  type TestServer,
  testTokens as tokens,
} from './test-support/test-server.js'

const screenshotDir = process.env.ELICENCE_SCREENSHOTS
const screenshot = async (page: Page, name: string) => {
  if (screenshotDir === undefined) return
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

let running: TestServer
let browser: Browser

beforeAll(async () => {
  running = await startTestServer()
  // The holder's licence: applied on Thursday, issued on Friday.
  await sendCommand(running, tokens.registry, recordLicenceCommand())
  await sendCommand(running, tokens.holder, applyCommand())
  // The other holder has no photo on file: their application will need one.
  const noPhoto = recordLicenceCommand(otherLicenceNumber, 'acct-other')
  await sendCommand(running, tokens.registry, { ...noPhoto, data: { ...noPhoto.data, photoOnFile: false } })
  running.setNow('2026-10-16T09:00:00+08:00')
  await sendCommand(running, tokens.otherHolder, applyCommand(otherLicenceNumber))
  running.setNow('2026-10-16T10:00:00+08:00')
  await sendCommand(running, tokens.reviewer, reviewCommand())

  browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] })
})

afterAll(async () => {
  await browser?.close()
  await running?.app.close()
})

const holderPage = async (licence: string, token: string): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } })
  await page.goto(`${running.api.baseUrl}/#licence=${licence}&token=${encodeURIComponent(token)}`)
  return page
}

/** Opens the holder's page for a test, and closes it however the test ends. */
const withHolderPage = async (licence: string, token: string, use: (page: Page) => Promise<void>) => {
  const page = await holderPage(licence, token)
  try {
    await use(page)
  } finally {
    await page.close()
  }
}

const inkOf = (page: Page, selector: string) =>
  page.locator(selector).evaluate((element) => getComputedStyle(element).color)

describe('the holder’s e-licence page', () => {
  it('shows the licence live: its data, a ticking clock and a QR code, in black while normal', async () => {
    await withHolderPage(licenceNumber, tokens.holder, async (page) => {
      await page.locator('#presentation').waitFor({ state: 'visible' })
      expect(await page.locator('#holder-name').textContent()).toBe('张三')
      expect(await page.locator('#licence-number').textContent()).toBe(licenceNumber)
      expect(await page.locator('#classes').textContent()).toBe('C1')
      expect(await page.locator('#validity').textContent()).toBe('2020-01-01 至 2030-01-01')
      expect(await page.locator('#statuses').textContent()).toContain('正常')
      expect(await page.locator('#licence').getAttribute('data-state')).toBe('issued')
      expect(await page.locator('#notice').isHidden()).toBe(true)
      expect(Number(await page.locator('#qr').getAttribute('data-modules'))).toBeGreaterThan(21)
      // An SD-JWT presentation: issuer-signed JWT ~ disclosures ~ KB-JWT.
      expect(await page.locator('#presentation-text').inputValue()).toMatch(
        /^[\w-]+\.[\w-]+\.[\w-]+~([\w-]+~)+[\w-]+\.[\w-]+\.[\w-]+$/,
      )
      expect(await inkOf(page, '#licence-number')).toBe('rgb(0, 0, 0)')

      // The clock is live: the time shown changes while the page is open.
      const shown = await page.locator('#clock').textContent()
      expect(shown).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
      await page.waitForFunction((before) => document.getElementById('clock')?.textContent !== before, shown)
      await screenshot(page, 'holder-issued')
    })
  })

  it('shows a pending review, then a request for a photo, without a QR code', async () => {
    await withHolderPage(otherLicenceNumber, tokens.otherHolder, async (page) => {
      await page.locator('#notice').waitFor({ state: 'visible' })
      expect(await page.locator('#licence').getAttribute('data-state')).toBe('pending-review')
      expect(await page.locator('#notice-title').textContent()).toContain('Pending review')
      expect(await page.locator('#notice-text').textContent()).toContain('2026-10-19 09:00:00')
      expect(await page.locator('#presentation').isHidden()).toBe(true)
      await screenshot(page, 'holder-pending-review')

      running.setNow('2026-10-19T09:30:00+08:00')
      await sendCommand(running, tokens.reviewer, reviewCommand(otherLicenceNumber))
      await page.reload()
      await page.locator('#licence[data-state="awaiting-photo"]').waitFor()
      expect(await page.locator('#notice-title').textContent()).toContain('A photo is needed')
      expect(await page.locator('#notice-text').textContent()).toContain('no photo on file')
      expect(await page.locator('#presentation').isHidden()).toBe(true)
      await screenshot(page, 'holder-awaiting-photo')
    })
  })

  it('says so when the service cannot be reached, instead of an empty card', async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } })
    try {
      await page.route('**/licences/**', (route) => route.abort('connectionrefused'))
      await page.goto(
        `${running.api.baseUrl}/#licence=${licenceNumber}&token=${encodeURIComponent(tokens.holder)}`,
      )
      await page.locator('#problem').waitFor({ state: 'visible' })
      expect(await page.locator('#problem').textContent()).toContain('cannot be reached')
    } finally {
      await page.close()
    }
  })

  it('refuses to show another holder’s licence, and forgets the token it was refused', async () => {
    await withHolderPage(licenceNumber, tokens.otherHolder, async (page) => {
      await page.locator('#sign-in-problem').waitFor({ state: 'visible' })
      expect(await page.locator('#sign-in-problem').textContent()).toContain('may not show this licence')
      expect(await page.locator('#presentation').isHidden()).toBe(true)
      expect(await page.locator('#licence').isHidden()).toBe(true)
      // Reloaded without a link, the page asks again rather than trying the refused token forever.
      expect(
        await page.evaluate(() => [sessionStorage.getItem('token'), sessionStorage.getItem('licence')]),
      ).toEqual([null, null])
      await page.reload()
      await page.locator('#sign-in').waitFor({ state: 'visible' })
      expect(await page.locator('#sign-in-problem').isHidden()).toBe(true)
      // The form signs in with the right token.
      await page.locator('#sign-in input[name=licence]').fill(licenceNumber)
      await page.locator('#sign-in input[name=token]').fill(tokens.holder)
      await page.locator('#sign-in button[type=submit]').click()
      await page.locator('#licence').waitFor({ state: 'visible' })
      await page.waitForFunction(() => document.querySelector('#holder-name')?.textContent !== '')
    })
  })
})

describe('a licence number that cannot be looked up', () => {
  it('is not polled again: the page asks for the number once more, saying why', async () => {
    // The right digits with a wrong check character: a typo the service refuses (400).
    const typo = `${licenceNumber.slice(0, 17)}${licenceNumber.endsWith('1') ? '2' : '1'}`
    await withHolderPage(typo, tokens.holder, async (page) => {
      await page.locator('#sign-in-problem').waitFor({ state: 'visible' })
      expect(await page.locator('#sign-in-problem').textContent()).toContain('cannot be looked up')
      expect(await page.locator('#licence').isHidden()).toBe(true)
      expect(
        await page.evaluate(() => [sessionStorage.getItem('token'), sessionStorage.getItem('licence')]),
      ).toEqual([null, null])
    })
  })
})

describe('an abnormal licence', () => {
  it('turns the e-licence red, and still shows its QR code', async () => {
    await sendCommand(running, tokens.registry, {
      type: 'ChangeLicenceStatus',
      data: { licenceNumber, statuses: ['B'] },
      metadata: { commandId: nextCommandId() },
    })
    await withHolderPage(licenceNumber, tokens.holder, async (page) => {
      await page.locator('#licence.abnormal').waitFor()
      await page.locator('#presentation').waitFor({ state: 'visible' })
      expect(await inkOf(page, '#licence-number')).toBe('rgb(208, 2, 27)')
      expect(await page.locator('#statuses').textContent()).toContain('超分')
      await screenshot(page, 'holder-abnormal')
    })
  })
})
