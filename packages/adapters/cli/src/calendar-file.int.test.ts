// `--calendar FILE`: a year the data package does not have yet (2027, as of this writing) is added
// as data; without it, a decision that needs the year is refused, never guessed (DESIGN §3 rule 9).
import { writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { applyForELicence, licenceNumberFor, ndjson, recordLicence } from './fixtures/licence-commands.js'
import { jsonLines, runInProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-calendar-')
afterAll(files.remove)

const schedule2027 = files.path('2027.json')
writeFileSync(
  schedule2027,
  JSON.stringify({ year: 2027, holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], workdays: [] }),
)
const strayDate = files.path('stray.json')
writeFileSync(strayDate, JSON.stringify([{ year: 2027, holidays: ['2028-01-01'], workdays: [] }]))

const yearTwice = files.path('twice.json')
writeFileSync(
  yearTwice,
  JSON.stringify([
    { year: 2027, holidays: ['2027-01-01'], workdays: [] },
    { year: 2027, holidays: ['2027-01-01', '2027-01-04'], workdays: [] },
  ]),
)

// 2026 is in the data package: a file of it replaces the year, here with New Year's Day alone.
const replaced2026 = files.path('2026.json')
writeFileSync(
  replaced2026,
  JSON.stringify([
    { year: 2027, holidays: ['2027-01-01'], workdays: [] },
    { year: 2026, holidays: ['2026-01-01'], workdays: [] },
  ]),
)

/** A licence recorded, then an application on the last day of 2026: due on the first working day of 2027. */
let seed = 0
const yearEndApplication = () => {
  const licenceNumber = licenceNumberFor(++seed)
  const apply = applyForELicence(licenceNumber)
  return ndjson([
    recordLicence(licenceNumber),
    { ...apply, metadata: { ...apply.metadata, at: '2026-12-31T10:00:00+08:00' } },
  ])
}

/** The handler's "now" on the day of the applications, so the test means the same on any day it runs. */
const onNewYearsEve = () => new Date('2026-12-31T10:00:00+08:00')

describe('exec --calendar', () => {
  it('refuses a review date in a year the calendar does not cover (exit 1)', async () => {
    const run = await runInProcess(['exec', '--store', 'memory:'], yearEndApplication(), {}, onNewYearsEve)
    expect(run.exitCode).toBe(1)
    expect((jsonLines(run.stdout)[1] as { error: { code: string } }).error.code).toBe('calendar-not-covered')
  })
  it('decides with a year added as data, and the event names the data that decided it', async () => {
    for (const run of [
      await runInProcess(
        ['exec', '--store', 'memory:', '--calendar', schedule2027],
        yearEndApplication(),
        {},
        onNewYearsEve,
      ),
      await runInProcess(
        ['exec', '--store', 'memory:'],
        yearEndApplication(),
        { ELICENCE_CALENDAR: schedule2027 },
        onNewYearsEve,
      ),
    ]) {
      expect(run.exitCode).toBe(0)
      const applied = jsonLines(run.stdout)[1] as { events: ReadonlyArray<{ data: Record<string, unknown> }> }
      expect(applied.events[0]?.data).toMatchObject({
        reviewDueAt: '2027-01-04T02:00:00.000Z',
        calendar: { id: 'cn-state-council', version: 'chinese-days@1.5.7+2027#4c6074d2', fallback: false },
      })
    }
  })
  it('refuses a calendar file that is not a year of dates, naming the file (exit 2)', async () => {
    const stray = await runInProcess(
      ['exec', '--store', 'memory:', '--calendar', strayDate],
      yearEndApplication(),
    )
    expect(stray.exitCode).toBe(2)
    expect(stray.stderr).toContain(`calendar ${strayDate} [0]: 2028-01-01 is not in 2027`)
    const twice = await runInProcess(
      ['exec', '--store', 'memory:', '--calendar', yearTwice],
      yearEndApplication(),
    )
    expect(twice.exitCode).toBe(2)
    expect(twice.stderr).toContain(`calendar ${yearTwice} [1]: the year 2027 is given twice, at [0] and [1]`)
    const noHoliday = files.path('no-holiday.json')
    writeFileSync(noHoliday, JSON.stringify({ year: 2027, holidays: [], workdays: [] }))
    const empty = await runInProcess(
      ['exec', '--store', 'memory:', '--calendar', noHoliday],
      yearEndApplication(),
    )
    expect(empty.exitCode).toBe(2)
    expect(empty.stderr).toContain(`calendar ${noHoliday}: the year 2027 has no holiday`)
    const missing = await runInProcess(
      ['exec', '--store', 'memory:', '--calendar', files.path('none.json')],
      '',
    )
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toMatch(/cannot read the calendar .*none\.json/)
  })
})

describe('a calendar file that replaces a year the data package covers', () => {
  it('is taken, and exec and audit say so on stderr; a file of new years only says nothing', async () => {
    const note = `calendar ${replaced2026} [1]: replaces the State Council schedule of 2026 in cn-state-council@chinese-days@1.5.7: due times in 2026 follow this file`
    const exec = await runInProcess(
      ['exec', '--store', 'memory:', '--calendar', replaced2026],
      yearEndApplication(),
      {},
      onNewYearsEve,
    )
    expect(exec.exitCode).toBe(0)
    expect(exec.stderr).toContain(note)
    const audit = await runInProcess([
      'audit',
      '--history',
      files.path('none.ndjson'),
      '--calendar',
      replaced2026,
    ])
    expect(audit.stderr).toContain(note)
    const added = await runInProcess(
      ['exec', '--store', 'memory:', '--calendar', schedule2027],
      yearEndApplication(),
      {},
      onNewYearsEve,
    )
    expect(added.exitCode).toBe(0)
    expect(added.stderr).not.toContain('replaces')
  })
})

describe('audit --calendar', () => {
  it('decides a due time of an added year again only with that year: without it, says it could not', async () => {
    const store = `sqlite:${files.path('audited.db')}`
    const applied = await runInProcess(
      ['exec', '--store', store, '--calendar', schedule2027],
      yearEndApplication(),
      {},
      onNewYearsEve,
    )
    expect(applied.exitCode).toBe(0)
    const without = await runInProcess(['audit', '--store', store])
    expect(without.exitCode, without.stdout).toBe(0)
    expect(without.stdout).toMatch(
      /due times {2}1 not re-checked: recorded by calendar cn-state-council@chinese-days@1\.5\.7\+2027#4c6074d2/,
    )
    const withYear = await runInProcess(['audit', '--store', store, '--calendar', schedule2027, '--json'])
    expect(withYear.exitCode).toBe(0)
    expect(JSON.parse(withYear.stdout).counts).toMatchObject({ anomalies: 0, dueTimesUnchecked: {} })
    const stray = await runInProcess(['audit', '--store', store, '--calendar', strayDate])
    expect(stray.exitCode).toBe(2)
  })
})

describe('serve --calendar', () => {
  it('refuses to start on a calendar file that is not a year of dates (exit 2)', async () => {
    const run = await runInProcess([
      'serve',
      '--store',
      'memory:',
      '--data',
      files.path('data'),
      '--calendar',
      strayDate,
    ])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('2028-01-01 is not in 2027')
  })
})
