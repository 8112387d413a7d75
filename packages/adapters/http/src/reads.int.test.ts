// Reads over a real listening server: the e-licence view (now and as of an instant), verification
// and the review queue. The clock is the server's own, set by the test. Credentials and their
// presentations are in credentials.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyCommand,
  licenceNumber,
  otherLicenceNumber,
  recordLicenceCommand,
  reviewCommand,
  sendCommand,
  startTestServer,
  type TestServer,
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
    // HEAD answers the headers of GET, which the document lists for both.
    const head = await running.api.request('HEAD', '/review-queue', { token: tokens.auditor })
    expect([head.status, head.headers.get('elicence-read-model-behind')]).toEqual([200, '0'])

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
