import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceLifecycle, licenceNumberFor, ndjson } from '../fixtures/licence-commands.js'
import { runInProcess } from '../fixtures/run-cli.js'
import { temporaryFiles } from '../fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-view-')
afterAll(files.remove)
const store = `sqlite:${files.path('view.db')}`
const licenceNumber = licenceNumberFor(21)
let beforeRecording = ''

beforeAll(async () => {
  beforeRecording = new Date().toISOString()
  expect(
    (await runInProcess(['exec', '--store', store], ndjson(licenceLifecycle(licenceNumber)))).exitCode,
  ).toBe(0)
})

const view = async (...args: ReadonlyArray<string>) => {
  const run = await runInProcess(['view', '--store', store, ...args])
  return { ...run, view: run.exitCode === 0 ? JSON.parse(run.stdout) : undefined }
}

describe('elicence view', () => {
  it('shows the current view of a licence (exit 0)', async () => {
    expect(await view(licenceNumber)).toMatchObject({
      exitCode: 0,
      view: { licenceNumber, state: 'issued', eLicenceId: expect.any(String), version: 2, classes: ['C1'] },
    })
  })

  it('shows the view as of an instant, by business time unless told otherwise', async () => {
    expect(await view(licenceNumber, '--as-of', '2026-03-03T12:00:00+08:00')).toMatchObject({
      exitCode: 0,
      view: { state: 'pending-review', reviewDueAt: '2026-03-04T02:00:00.000Z', version: 1 },
    })
  })

  it('by record time, shows what the store held then: nothing before the events were stored (exit 1)', async () => {
    const run = await view(licenceNumber, '--as-of', beforeRecording, '--axis', 'record')
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toMatch(`licence ${licenceNumber} is not recorded as of ${beforeRecording}`)
  })

  it('says so when the licence is not recorded (exit 1)', async () => {
    const run = await view(licenceNumberFor(22))
    expect(run).toMatchObject({ exitCode: 1, stdout: '' })
    expect(run.stderr).toMatch(/is not recorded/)
  })

  it.each([
    [['110105194912310021'], /not a licence number/],
    [[], /LICENCE .* is required/],
    [[licenceNumber, '--as-of', '2026-03-03T12:00:00'], /not an ISO-8601 instant with an offset/],
    [
      [licenceNumber, '--as-of', '2026-03-03T12:00:00Z', '--axis', 'wall-clock'],
      /--axis wall-clock: expected business/,
    ],
    [[licenceNumber, '--axis', 'record'], /--axis only applies with --as-of/],
  ])('refuses bad arguments %j (exit 2)', async (args, message) => {
    const run = await view(...args)
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(message)
  })
})
