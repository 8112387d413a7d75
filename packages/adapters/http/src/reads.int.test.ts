// Reads over a real listening server: the e-licence view (now and as of an instant), verification,
// signed presentations (the anti-screenshot e-licence of DESIGN §6) and the review queue. The clock is
// the server's own, set by the test: a presentation two minutes old is the screenshot case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyCommand,
  licenceNumber,
  nextCommandId,
  otherLicenceNumber,
  recordLicenceCommand,
  reviewCommand,
  sendCommand,
  startTestServer,
  type TestServer,
  testPresentationKeys,
  testStart,
  testTokens as tokens,
} from './test-support/test-server.js'

/** A server with both test licences recorded, neither with an e-licence yet. */
const startWithBothLicences = async (): Promise<TestServer> => {
  const running = await startTestServer()
  await sendCommand(running, tokens.registry, recordLicenceCommand())
  await sendCommand(running, tokens.registry, recordLicenceCommand(otherLicenceNumber, 'acct-other'))
  return running
}

describe('the e-licence view and verification', () => {
  let running: TestServer
  beforeAll(async () => {
    running = await startWithBothLicences()
  })
  afterAll(async () => {
    await running.app.close()
  })

  it('follows an application from pending review to issued, as the holder sees it', async () => {
    const before = await running.api.request('GET', `/licences/${licenceNumber}`, { token: tokens.holder })
    expect(before.status).toBe(200)
    expect(before.body).toMatchObject({
      state: 'none',
      holder: { accountId: 'acct-holder' },
      statuses: ['A'],
    })

    await sendCommand(running, tokens.holder, applyCommand())
    const pending = await running.api.request('GET', `/licences/${licenceNumber}`, { token: tokens.holder })
    expect(pending.body).toMatchObject({ state: 'pending-review', applicationId: 'app-1' })
    expect(pending.body.reviewDueAt).toBe('2026-10-16T02:00:00.000Z')

    running.setNow('2026-10-16T10:00:00+08:00')
    await sendCommand(running, tokens.reviewer, reviewCommand())
    const issued = await running.api.request('GET', `/licences/${licenceNumber}`, { token: tokens.auditor })
    expect(issued.body).toMatchObject({ state: 'issued', eLicenceId: `EL-${licenceNumber}-1` })
  })

  it('shows the view as of an instant, and 404 before the licence was recorded', async () => {
    const then = await running.api.request(
      'GET',
      `/licences/${licenceNumber}?asOf=${encodeURIComponent('2026-10-15T12:00:00+08:00')}`,
      { token: tokens.auditor },
    )
    expect(then.status).toBe(200)
    expect(then.body.state).toBe('pending-review')
    const before = await running.api.request('GET', `/licences/${licenceNumber}?asOf=2020-01-01T00:00:00Z`, {
      token: tokens.auditor,
    })
    expect(before.status).toBe(404)
    const bad = await running.api.request('GET', `/licences/${licenceNumber}?asOf=yesterday&axis=sideways`, {
      token: tokens.auditor,
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'query.asOf',
      'query.axis',
    ])
  })

  it('keeps verifiers to verification, and holders to their own licence', async () => {
    const verifierView = await running.api.request('GET', `/licences/${licenceNumber}`, {
      token: tokens.verifier,
    })
    expect(verifierView.status).toBe(403)
    const otherHolder = await running.api.request('GET', `/licences/${licenceNumber}`, {
      token: tokens.otherHolder,
    })
    expect(otherHolder.status).toBe(403)
    const otherVerification = await running.api.request('GET', `/licences/${licenceNumber}/verification`, {
      token: tokens.otherHolder,
    })
    expect(otherVerification.status).toBe(403)
  })

  it('tells a verifier what they may know, masked: valid now, not before it was issued', async () => {
    const now = await running.api.request('GET', `/licences/${licenceNumber}/verification`, {
      token: tokens.verifier,
    })
    expect(now.status).toBe(200)
    expect(now.body).toMatchObject({
      eLicence: 'valid',
      driving: 'allowed',
      holderName: '张*',
      licenceNumber: '110105********002X',
      abnormal: false,
    })
    expect(now.body.mayDrive).toEqual(expect.arrayContaining(['C1', 'C2', 'C3', 'C4']))
    const earlier = await running.api.request(
      'GET',
      `/licences/${licenceNumber}/verification?at=${encodeURIComponent(testStart)}`,
      { token: tokens.verifier },
    )
    expect(earlier.body.eLicence).toBe('none')
    const missing = await running.api.request('GET', '/licences/110105198001010016/verification', {
      token: tokens.verifier,
    })
    expect(missing.status).toBe(404)
  })
})

describe('presentations', () => {
  let running: TestServer
  beforeAll(async () => {
    running = await startWithBothLicences()
    await sendCommand(running, tokens.holder, applyCommand())
    running.setNow('2026-10-16T10:00:00+08:00')
    await sendCommand(running, tokens.reviewer, reviewCommand())
  })
  afterAll(async () => {
    await running.app.close()
  })

  const present = () =>
    running.api.request('POST', `/licences/${licenceNumber}/presentations`, { token: tokens.holder })
  const verify = (presentation: string) =>
    running.api.request('POST', '/presentations/verify', { token: tokens.verifier, body: { presentation } })

  it('signs a presentation for the holder only, with its QR code', async () => {
    const signed = await present()
    expect(signed.status).toBe(201)
    expect(signed.body.payload).toMatchObject({
      reference: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      holder: '张*',
      licenceNumber: '110105********002X',
      classes: ['C1'],
    })
    expect(signed.body.payload.presentation).toEqual({
      validFrom: '2026-10-16T02:00:00.000Z',
      validUntil: '2026-10-16T02:01:00.000Z',
    })
    expect(signed.body.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/)
    for (const token of [tokens.otherHolder, tokens.verifier, tokens.auditor, tokens.registry]) {
      const refused = await running.api.request('POST', `/licences/${licenceNumber}/presentations`, { token })
      expect(refused.status).toBe(403)
    }
  })

  it('puts neither the licence number nor the e-licence id in the QR text', async () => {
    const signed = await present()
    expect(signed.status).toBe(201)
    const token: string = signed.body.presentation
    const payloadText = Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')
    expect(JSON.parse(payloadText)).toEqual(signed.body.payload)
    for (const secret of [licenceNumber, `EL-${licenceNumber}-1`, licenceNumber.slice(6, 14)]) {
      expect(token).not.toContain(secret)
      expect(payloadText).not.toContain(secret)
      expect(JSON.stringify(signed.body.payload)).not.toContain(secret)
    }
    expect(signed.body.payload).not.toHaveProperty('eLicenceId')
  })

  it('refuses to present an e-licence that is not valid (422, with why)', async () => {
    const refused = await running.api.request('POST', `/licences/${otherLicenceNumber}/presentations`, {
      token: tokens.otherHolder,
    })
    expect(refused.status).toBe(422)
    expect(refused.body.error).toMatchObject({ code: 'e-licence-not-valid', reasons: ['never-issued'] })
  })

  it('accepts a fresh presentation and refuses the same one shown two minutes later (a screenshot)', async () => {
    running.setNow('2026-10-16T10:30:00+08:00')
    const signed = await present()
    const fresh = await verify(signed.body.presentation)
    expect(fresh.status).toBe(200)
    expect(fresh.body).toMatchObject({ valid: true, payload: signed.body.payload })
    expect(fresh.body.verification).toMatchObject({ eLicence: 'valid', driving: 'allowed' })
    // What the verifier hears names the holder no more than the QR code does.
    expect(fresh.body.verification).not.toHaveProperty('eLicenceId')
    expect(JSON.stringify(fresh.body)).not.toContain(licenceNumber)

    running.setNow('2026-10-16T10:32:00+08:00')
    const screenshot = await verify(signed.body.presentation)
    expect(screenshot.status).toBe(200)
    expect(screenshot.body).toMatchObject({ valid: false, code: 'presentation-expired' })
  })

  it('refuses a tampered presentation, one signed with another key, and text that is none', async () => {
    running.setNow('2026-10-16T11:00:00+08:00')
    const signed = await present()
    const [prefix, payload, signature] = signed.body.presentation.split('.')
    const altered = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    altered.classes = ['A1']
    const tampered = `${prefix}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`
    expect((await verify(tampered)).body).toMatchObject({ valid: false, code: 'bad-signature' })
    // A genuine reference from another presentation, put into this one: the signature covers it.
    const otherSigned = await running.api.request('POST', `/licences/${licenceNumber}/presentations`, {
      token: tokens.holder,
    })
    const swapped = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    swapped.reference = otherSigned.body.payload.reference
    expect(swapped.reference).not.toBe(signed.body.payload.reference)
    const swappedToken = `${prefix}.${Buffer.from(JSON.stringify(swapped)).toString('base64url')}.${signature}`
    expect((await verify(swappedToken)).body).toMatchObject({ valid: false, code: 'bad-signature' })

    // The same licence history on a server with other keys: its presentation is genuine there only.
    const forger = await startTestServer({ presentationKeys: await testPresentationKeys() })
    try {
      await sendCommand(forger, tokens.registry, recordLicenceCommand())
      await sendCommand(forger, tokens.holder, applyCommand())
      forger.setNow('2026-10-16T11:00:00+08:00')
      await sendCommand(forger, tokens.reviewer, reviewCommand())
      const forged = await forger.api.request('POST', `/licences/${licenceNumber}/presentations`, {
        token: tokens.holder,
      })
      expect(forged.status).toBe(201)
      expect((await verify(forged.body.presentation)).body).toMatchObject({
        valid: false,
        code: 'bad-signature',
      })
    } finally {
      await forger.app.close()
    }

    expect((await verify('a photo of a licence')).body).toMatchObject({
      valid: false,
      code: 'malformed-presentation',
    })
    const notText = await running.api.request('POST', '/presentations/verify', {
      token: tokens.verifier,
      body: { presentation: 42 },
    })
    expect(notText.status).toBe(400)
    expect(notText.body.error.issues[0].path).toBe('presentation')
    const holderVerifying = await running.api.request('POST', '/presentations/verify', {
      token: tokens.holder,
      body: { presentation: signed.body.presentation },
    })
    expect(holderVerifying.status).toBe(403)
  })

  it('refuses, online, a genuinely signed presentation whose reference another reference key sealed', async () => {
    running.setNow('2026-10-16T11:30:00+08:00')
    // The same signing key, another reference key: another deployment sharing the key, or one rotated.
    const other = await startTestServer({
      presentationKeys: { ...running.keys, referenceKey: (await testPresentationKeys()).referenceKey },
    })
    try {
      await sendCommand(other, tokens.registry, recordLicenceCommand())
      await sendCommand(other, tokens.holder, applyCommand())
      other.setNow('2026-10-16T11:30:00+08:00')
      await sendCommand(other, tokens.reviewer, reviewCommand())
      const signed = await other.api.request('POST', `/licences/${licenceNumber}/presentations`, {
        token: tokens.holder,
      })
      expect(signed.status).toBe(201)
      expect((await verify(signed.body.presentation)).body).toMatchObject({
        valid: false,
        code: 'unknown-reference',
      })
      // Its own service opens it.
      const there = await other.api.request('POST', '/presentations/verify', {
        token: tokens.verifier,
        body: { presentation: signed.body.presentation },
      })
      expect(there.body).toMatchObject({ valid: true })
    } finally {
      await other.app.close()
    }
  })

  it('refuses, online, a presentation whose e-licence was invalidated since it was signed', async () => {
    running.setNow('2026-10-19T12:00:00+08:00')
    const signed = await present()
    expect(signed.status).toBe(201)
    await sendCommand(running, tokens.registry, {
      type: 'ChangeLicenceStatus',
      data: { licenceNumber, statuses: ['F'] },
      metadata: { commandId: nextCommandId() },
    })
    const revoked = await verify(signed.body.presentation)
    expect(revoked.body).toMatchObject({ valid: false, code: 'e-licence-invalidated' })
    expect(revoked.body.reasons).toContain('revoked')
    expect(JSON.stringify(revoked.body)).not.toContain(licenceNumber)
  })
})

describe('GET /review-queue', () => {
  let running: TestServer
  beforeAll(async () => {
    running = await startTestServer()
  })
  afterAll(async () => {
    await running.app.close()
  })

  it('lists open applications by due time, at once after they are accepted', async () => {
    const empty = await running.api.request('GET', '/review-queue', { token: tokens.reviewer })
    expect(empty.status).toBe(200)
    expect(empty.body.entries).toEqual([])

    await sendCommand(running, tokens.registry, recordLicenceCommand())
    await sendCommand(running, tokens.registry, recordLicenceCommand(otherLicenceNumber, 'acct-other'))
    running.setNow('2026-10-15T11:00:00+08:00')
    await sendCommand(running, tokens.otherHolder, applyCommand(otherLicenceNumber))
    running.setNow('2026-10-15T12:00:00+08:00')
    await sendCommand(running, tokens.holder, applyCommand())

    const queue = await running.api.request('GET', '/review-queue', { token: tokens.auditor })
    expect(queue.status).toBe(200)
    expect(queue.body.entries.map((entry: { licenceNumber: string }) => entry.licenceNumber)).toEqual([
      otherLicenceNumber,
      licenceNumber,
    ])
    expect(queue.body.entries[0]).toMatchObject({ stage: 'pending-review', holderName: '张*' })

    const dueByNoon = await running.api.request(
      'GET',
      `/review-queue?dueBy=${encodeURIComponent('2026-10-16T11:30:00+08:00')}&limit=10`,
      { token: tokens.reviewer },
    )
    expect(dueByNoon.body.entries).toHaveLength(1)
  })

  it('is not for holders or verifiers, and refuses a bad query with 400', async () => {
    for (const token of [tokens.holder, tokens.verifier]) {
      expect((await running.api.request('GET', '/review-queue', { token })).status).toBe(403)
    }
    const bad = await running.api.request('GET', '/review-queue?limit=0&dueBy=soon', {
      token: tokens.reviewer,
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'query.dueBy',
      'query.limit',
    ])
  })
})
