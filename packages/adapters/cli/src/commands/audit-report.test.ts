import type { AuditAnomaly, AuditReport } from '@elicence/projections'
import { emptyStatistics } from '@elicence/projections'
import { describe, expect, it } from 'vitest'
import { capturedIo } from '../fixtures/captured-io.js'
import { jsonReport, progressLine, textReport } from './audit-report.js'

/** Carriage return and "erase line": the progress line redraws itself in place. */
const redraw = '\r\x1b[2K'

const progress = { events: 50_000, streams: 5_000, anomalies: 2, position: 50_000 }

describe('progressLine', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const io = capturedIo({ stderrIsTTY: false })
    const line = progressLine(io, () => 0.5)
    line.update(progress)
    line.clear()
    expect(io.stderrText()).toBe('')
  })

  it('draws a bar with the share done on a terminal, at most ten times a second, and clears it', () => {
    const io = capturedIo({ stderrIsTTY: true })
    let now = 1_000
    const line = progressLine(
      io,
      () => 0.5,
      () => now,
    )
    now += 2_000
    line.update(progress)
    now += 50
    line.update({ ...progress, events: 60_000 })
    expect(io.stderrText().startsWith(redraw)).toBe(true)
    expect(io.stderrText().slice(redraw.length)).toMatch(
      /^\[#{15}-{15}\] 50% 50,000 events, 5,000 streams, 2 anomalies, 25,000\/s$/,
    )
    line.clear()
    expect(io.stderrText().endsWith(redraw)).toBe(true)
  })

  it('shows running counts without a bar when the total is unknown', () => {
    const io = capturedIo({ stderrIsTTY: true })
    progressLine(io, undefined).update(progress)
    expect(io.stderrText().startsWith(`${redraw}50,000 events, 5,000 streams`)).toBe(true)
  })
})

describe('textReport', () => {
  const anomaly = (version: number): AuditAnomaly => ({
    streamId: 'licence-11010519491231002X',
    version,
    position: version + 1,
    kind: 'hash-mismatch',
    message: 'hash does not match',
  })
  const report = (anomalies: ReadonlyArray<AuditAnomaly>, count = anomalies.length): AuditReport => ({
    counts: {
      events: 1_234,
      skipped: 0,
      streams: 2,
      licences: 2,
      eLicencesIssued: 1,
      byType: { LicenceRecorded: 2 },
      anomalies: count,
      anomaliesByKind: count === 0 ? {} : { 'hash-mismatch': count },
      dueTimesUnchecked: {},
    },
    anomalies,
    lastPosition: 1_234,
    statistics: emptyStatistics,
    asOf: null,
  })

  it('summarises an intact history', () => {
    expect(textReport('sqlite:./x.db', report([]), { readModels: null })).toBe(
      [
        'Audit of sqlite:./x.db',
        '  events     1,234, up to position 1234',
        '  streams    2; licences recorded 2; e-licences issued 1',
        '  by type    LicenceRecorded 2',
        '  read models none stored',
        'No anomalies.',
      ].join('\n'),
    )
  })

  it('says what signed checkpoint the history was checked against, and which lines it could not read', () => {
    const checkpoint = {
      size: 1_234,
      origin: 'licences.example.cn/elicence/log',
      root: 'bVFDL+obBhRaFtOdcEt1rkwyJyBg5dUVgBTFuumjHlM=',
      logKey: 'licences.example.cn/elicence/log+878ba4e8',
      cosignedBy: ['witness.example.org/w1+0a1b2c3d'],
    }
    const text = textReport('h.ndjson', report([]), { checkpoint, invalidLines: 2 })
    expect(text).toContain(
      "  checkpoint tree of 1,234 (licences.example.cn/elicence/log, root bVFDL+obBhRaFtOdcEt1rkwyJyBg5dUVgBTFuumjHlM=) signed by licences.example.cn/elicence/log+878ba4e8, cosigned by witness.example.org/w1+0a1b2c3d: its root compared with the tree of the history's first 1,234 events",
    )
    expect(text).toContain(
      '  not read   2 lines are not a stored event (invalid input, listed on stderr): audited without them\nNo anomalies in the events read.',
    )
    expect(JSON.parse(jsonReport('h.ndjson', report([]), { checkpoint, invalidLines: 2 }))).toMatchObject({
      source: 'h.ndjson',
      checkpoint,
      invalidLines: 2,
    })
  })

  it('says how many due times it could not decide again, by the calendar that recorded them', () => {
    const intact = report([])
    const unchecked = {
      ...intact,
      counts: {
        ...intact.counts,
        dueTimesUnchecked: { 'cn-state-council@chinese-days@1.5.7+2027#4c6074d2': 3 },
      },
    }
    expect(textReport('h.ndjson', unchecked)).toContain(
      '  due times  3 not re-checked: recorded by calendar cn-state-council@chinese-days@1.5.7+2027#4c6074d2, which this audit does not have (--calendar FILE)\nNo anomalies.',
    )
  })

  it('lists the first hundred anomalies with stream, version and position, and counts the rest', () => {
    const kept = Array.from({ length: 150 }, (_, version) => anomaly(version))
    const text = textReport('history.ndjson', report(kept, 20_000))
    expect(text).toMatch(/^20,000 ANOMALIES: hash-mismatch 20,000$/m)
    expect(text).toMatch(
      /^ {2}licence-11010519491231002X@0 \(position 1\) hash-mismatch: hash does not match$/m,
    )
    expect(text).toMatch(/^ {2}… 19,900 more/m)
    expect(text).not.toMatch(/read models/)
  })
})
