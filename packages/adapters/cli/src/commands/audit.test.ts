import { beforeAll, describe, expect, it } from 'vitest'
import { lifecycleHistory } from '../fixtures/history-text.js'
import { jsonLines, runInProcess } from '../fixtures/run-cli.js'

/** Four licences, each recorded, applied for and issued: 12 events over 4 streams. */
let history = ''
let lines: ReadonlyArray<Record<string, unknown>> = []

beforeAll(async () => {
  history = await lifecycleHistory(4)
  lines = jsonLines(history)
})

const audit = (stdin: string, ...args: ReadonlyArray<string>) =>
  runInProcess(['audit', '--history', '-', ...args], stdin)

const textOf = (entries: ReadonlyArray<unknown>): string =>
  entries.map((entry) => `${JSON.stringify(entry)}\n`).join('')

describe('elicence audit --history', () => {
  it('reports counts and no anomaly for an intact history (exit 0)', async () => {
    const run = await audit(history)
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/events {5}12, up to position 12/)
    expect(run.stdout).toMatch(/streams {4}4; licences recorded 4; e-licences issued 4/)
    expect(run.stdout).toMatch(/No anomalies\./)
    // No terminal here: no progress drawn on stderr.
    expect(run.stderr).toBe('')
  })

  it('refuses a line that names a member twice (exit 2): another reader could take the other copy', async () => {
    // The second event with a forged first copy of its data: JSON.parse keeps the last, true one,
    // so the hash checks; a tool that keeps the first would audit the forgery under that hash.
    const forged = history
      .split('\n')
      .map((line, index) => (index === 1 ? `{"data":{"forged":true},${line.slice(1)}` : line))
    const run = await audit(forged.join('\n'))
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/line 2: the member "data" appears twice in the top-level object/)
  })

  it('prints the report as JSON with --json', async () => {
    const run = await audit(history, '--json')
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      source: 'standard input',
      counts: { events: 12, streams: 4, anomalies: 0, byType: { ELicenceIssued: 4 } },
      anomalies: [],
      lastPosition: 12,
    })
  })

  it('finds an edited event and a deleted one (exit 1); a line that is not JSON is invalid input (exit 2)', async () => {
    const tampered = lines
      .filter((_, index) => index !== 6)
      .map((line, index) =>
        index === 1 ? { ...line, data: { ...(line.data as object), photoOnFile: false } } : line,
      )
    expect((await audit(textOf(tampered), '--json')).exitCode).toBe(1)
    const run = await audit(`${textOf(tampered)}not json\n`, '--json')
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/line 12: not JSON/)
    expect(run.stderr).toMatch(/1 line is not a stored event: invalid input, audited without it/)
    const report = JSON.parse(run.stdout)
    expect(report.counts.anomaliesByKind).toMatchObject({ 'hash-mismatch': 1, 'version-gap': 1 })
    expect(report.counts.anomaliesByKind).not.toHaveProperty('undecodable')
    expect(report.anomalies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'hash-mismatch', streamId: lines[1]?.streamId, version: 0 }),
        expect.objectContaining({ kind: 'version-gap', streamId: lines[6]?.streamId, version: 2 }),
      ]),
    )
  })

  it('lists anomalies with stream, version and position in the text report', async () => {
    const run = await audit(textOf([lines[1], lines[0], ...lines.slice(2)]))
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/ANOMALIES: position-out-of-order 1/)
    expect(run.stdout).toMatch(/licence-\w+@0 \(position 1\) position-out-of-order: position 1 after 2/)
  })

  it('audits the history as of an instant: later events are chain-checked, not replayed', async () => {
    const run = await audit(history, '--as-of', '2026-03-03T12:00:00+08:00', '--axis', 'business', '--json')
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      counts: { events: 12, skipped: 4, eLicencesIssued: 0 },
      asOf: '2026-03-03T12:00:00+08:00',
    })
  })

  it.each([
    [['--store', 'memory:'], /give --store or --history, not both/],
    [['--as-of', 'yesterday'], /--as-of yesterday is not an ISO-8601 instant/],
    [['--axis', 'record'], /--axis only applies with --as-of/],
    [['--verbose'], /Unknown option '--verbose'/],
  ])('refuses bad arguments %j (exit 2)', async (args, message) => {
    const run = await audit(history, ...args)
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(message)
  })

  it('names a history file that cannot be read (exit 2)', async () => {
    const run = await runInProcess(['audit', '--history', '/nonexistent/history.ndjson'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/cannot read \/nonexistent\/history\.ndjson/)
  })
})
