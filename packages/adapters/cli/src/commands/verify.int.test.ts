import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceLifecycle, licenceNumberFor, ndjson, nextCommandId } from '../fixtures/licence-commands.js'
import { runInProcess } from '../fixtures/run-cli.js'
import { temporaryFiles } from '../fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-verify-')
afterAll(files.remove)
const store = `sqlite:${files.path('verify.db')}`
const licenceNumber = licenceNumberFor(31)

beforeAll(async () => {
  expect(
    (await runInProcess(['exec', '--store', store], ndjson(licenceLifecycle(licenceNumber)))).exitCode,
  ).toBe(0)
})

const verify = async (...args: ReadonlyArray<string>) => {
  const run = await runInProcess(['verify', '--store', store, ...args])
  return { ...run, verification: run.stdout === '' ? undefined : JSON.parse(run.stdout) }
}

describe('elicence verify', () => {
  it('answers valid, masked, with the classes it implies (exit 0)', async () => {
    expect(await verify(licenceNumber, '--at', '2026-05-01T09:00:00+08:00')).toMatchObject({
      exitCode: 0,
      verification: {
        eLicence: 'valid',
        driving: 'allowed',
        licenceNumber: `${licenceNumber.slice(0, 6)}********${licenceNumber.slice(-4)}`,
        holderName: '张*',
        mayDrive: expect.arrayContaining(['C1', 'C2']),
        reasons: [],
      },
    })
  })

  it('answers not valid, with reasons, before issue (none yet, its application open) and after expiry (exit 1)', async () => {
    expect(await verify(licenceNumber, '--at', '2026-03-03T12:00:00+08:00')).toMatchObject({
      exitCode: 1,
      verification: { eLicence: 'none', reasons: ['never-issued', 'application-open'] },
    })
    expect(await verify(licenceNumber, '--at', '2030-03-02T00:00:00+08:00')).toMatchObject({
      exitCode: 1,
      verification: {
        eLicence: 'invalid',
        driving: 'not-allowed',
        reasons: expect.arrayContaining(['expired']),
      },
    })
  })

  it('answers none for a licence not recorded (exit 1)', async () => {
    expect(await verify(licenceNumberFor(32))).toMatchObject({
      exitCode: 1,
      verification: { eLicence: 'none', reasons: ['licence-not-found'] },
    })
  })

  it('verifies at an instant what had happened by then, as GET …/verification?at= does', async () => {
    // Revoked (status E) on 1 June: valid in May, not in July; not yet recorded on 1 March.
    const revoked = licenceNumberFor(33)
    const revocation = {
      type: 'ChangeLicenceStatus',
      data: { licenceNumber: revoked, statuses: ['E'] },
      metadata: {
        commandId: nextCommandId(),
        at: '2026-06-01T09:00:00+08:00',
        actor: { role: 'registry', id: 'registry-gz' },
      },
    }
    const ran = await runInProcess(
      ['exec', '--store', store],
      ndjson([...licenceLifecycle(revoked), revocation]),
    )
    expect(ran.exitCode).toBe(0)
    expect(await verify(revoked, '--at', '2026-05-01T09:00:00+08:00')).toMatchObject({
      exitCode: 0,
      verification: { eLicence: 'valid', statuses: ['A'], reasons: [] },
    })
    expect(await verify(revoked, '--at', '2026-07-01T09:00:00+08:00')).toMatchObject({
      exitCode: 1,
      verification: { eLicence: 'invalid', statuses: ['E'] },
    })
    expect(await verify(revoked, '--at', '2026-03-01T09:00:00+08:00')).toMatchObject({
      exitCode: 1,
      verification: { eLicence: 'none', reasons: ['licence-not-found'] },
    })
  })

  it('refuses an instant without an offset (exit 2)', async () => {
    const run = await verify(licenceNumber, '--at', '2026-05-01 09:00')
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/--at 2026-05-01 09:00 is not an ISO-8601 instant/)
  })
})
