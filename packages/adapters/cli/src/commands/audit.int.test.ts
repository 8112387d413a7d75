// `elicence audit --store` on real SQLite files whose read models a projection runner maintains in
// the same file: the stored views are compared with the rebuild, and tampering with either side
// (a stored view edited, the history's last event deleted) is found.
import { streamIdFor } from '@elicence/domain'
import { collections, defaultProjection, projectionRunner } from '@elicence/projections'
import { sqliteEventStore, sqliteReadModelStore } from '@elicence/sqlite'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { licenceLifecycle, licenceNumberFor, ndjson, recordLicence } from '../fixtures/licence-commands.js'
import { assertBuildIsFresh, runInProcess, runProcess } from '../fixtures/run-cli.js'
import { temporaryFiles } from '../fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-audit-')
afterAll(files.remove)

/** A store with three issued e-licences, and read models caught up with it in the same file. */
const projectedStore = async (name: string): Promise<string> => {
  const path = files.path(name)
  const commands = [61, 62, 63].flatMap((seed) => licenceLifecycle(licenceNumberFor(seed)))
  expect((await runInProcess(['exec', '--store', `sqlite:${path}`], ndjson(commands))).exitCode).toBe(0)
  const events = sqliteEventStore(path)
  const readModels = sqliteReadModelStore(path)
  const caughtUp = await projectionRunner({ events, readModels }).catchUp()
  await Promise.all([events.close(), readModels.close()])
  expect(E.isRight(caughtUp) && caughtUp.right.position).toBe(9)
  return path
}

/** The file opened by someone with it in hand, the store's append-only triggers dropped. */
const openedBehindTheStore = (path: string): Database.Database => {
  const db = new Database(path)
  const triggers = db.prepare<[], { name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'`,
  )
  for (const { name } of triggers.all()) db.exec(`DROP TRIGGER "${name}"`)
  return db
}

/** Someone with the file in hand deletes the last event: the store's append-only triggers do not stop them. */
const cutOffLastEvent = (path: string): void => {
  const db = openedBehindTheStore(path)
  db.prepare('DELETE FROM events WHERE position = (SELECT max(position) FROM events)').run()
  db.close()
}

const audit = (path: string, ...args: ReadonlyArray<string>) =>
  runInProcess(['audit', '--store', `sqlite:${path}`, '--json', ...args])

/** The binary in a process of its own: partition workers load the built modules, so they are checked fresh. */
const auditedByBinary = (path: string, partitions: string) => {
  assertBuildIsFresh()
  return runProcess(['audit', '--store', `sqlite:${path}`, '--json', '--partitions', partitions])
}

describe('elicence audit --store', () => {
  it('compares the stored read models with the rebuild: equal, no anomaly (exit 0)', async () => {
    const path = await projectedStore('intact.db')
    const run = await audit(path)
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      counts: { events: 9, anomalies: 0 },
      readModels: { position: 9, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    })
    const text = await runInProcess(['audit', '--store', `sqlite:${path}`])
    expect(text.stdout).toMatch(/read models compared as of position 9/)
  })

  it('finds a stored view that differs from the rebuild (exit 1)', async () => {
    const path = await projectedStore('edited-view.db')
    const streamId = streamIdFor(licenceNumberFor(62))
    const readModels = sqliteReadModelStore(path)
    const loaded = await readModels.load(defaultProjection, collections.eLicence, [streamId])
    const checkpoint = await readModels.loadCheckpoint(defaultProjection)
    if (E.isLeft(loaded) || E.isLeft(checkpoint)) throw new Error('cannot read the read models')
    const view = loaded.right.get(streamId) as Record<string, unknown>
    const committed = await readModels.commit(
      defaultProjection,
      [{ collection: collections.eLicence, key: streamId, doc: { ...view, classes: ['A1'] }, sortKey: null }],
      { expected: checkpoint.right.position, next: checkpoint.right },
    )
    await readModels.close()
    expect(E.isRight(committed)).toBe(true)

    const run = await audit(path)
    expect(run.exitCode).toBe(1)
    expect(JSON.parse(run.stdout).anomalies).toEqual([
      expect.objectContaining({
        kind: 'view-mismatch',
        streamId,
        // It names what differs: the hashes of both views are the same (no event differs).
        message: expect.stringMatching(/: classes stored \["A1"\], rebuilt \["C1"\]$/),
      }),
    ])
  })

  it("finds the history's last event deleted, which no hash chain shows, by the read models' checkpoint (exit 1)", async () => {
    const path = await projectedStore('cut-off.db')
    cutOffLastEvent(path)

    const run = await audit(path)
    expect(run.exitCode).toBe(1)
    expect(JSON.parse(run.stdout).counts.anomaliesByKind).toMatchObject({ 'checkpoint-mismatch': 1 })
  })

  it('finds the last event deleted by what the transparency log kept beside the store, with no read model of views (exit 1)', async () => {
    const path = files.path('logged.db')
    const commands = [65, 66].flatMap((seed) => licenceLifecycle(licenceNumberFor(seed)))
    expect((await runInProcess(['exec', '--store', `sqlite:${path}`], ndjson(commands))).exitCode).toBe(0)
    const keys = files.path('logged-keys')
    expect((await runInProcess(['keys', '--out', keys])).exitCode).toBe(0)
    // The log projection written into the file and a checkpoint of its 6 events kept there.
    expect(
      (await runInProcess(['log', 'checkpoint', '--store', `sqlite:${path}`, '--keys', keys])).exitCode,
    ).toBe(0)
    const audited = (partitions: string) => auditedByBinary(path, partitions)
    for (const partitions of ['1', '2']) {
      const intact = await audited(partitions)
      expect([partitions, intact.exitCode, JSON.parse(intact.stdout).counts.anomalies]).toEqual([
        partitions,
        0,
        0,
      ])
    }
    cutOffLastEvent(path)
    for (const partitions of ['1', '2']) {
      const run = await audited(partitions)
      expect([partitions, run.exitCode]).toEqual([partitions, 1])
      expect(JSON.parse(run.stdout).counts.anomaliesByKind).toEqual({
        'checkpoint-mismatch': 1,
        'log-truncated': 1,
      })
    }
  })

  it('reports an event whose stored text is not JSON at its stream, version and position, and audits the rest (exit 1)', async () => {
    const path = await projectedStore('not-json.db')
    const db = openedBehindTheStore(path)
    const edited = db
      .prepare<[], { stream_id: string; version: number }>(
        'SELECT stream_id, version FROM events WHERE position = 5',
      )
      .get()
    db.prepare(`UPDATE events SET data = '{"a":' WHERE position = 5`).run()
    db.close()
    for (const partitions of ['1', '2']) {
      const run = await auditedByBinary(path, partitions)
      expect([partitions, run.exitCode]).toEqual([partitions, 1])
      const report = JSON.parse(run.stdout)
      expect(report.counts.events).toBe(9)
      expect(report.anomalies).toContainEqual(
        expect.objectContaining({
          kind: 'undecodable',
          streamId: edited?.stream_id,
          version: edited?.version,
          position: 5,
          message: expect.stringMatching(
            /data: the store holds text that is not JSON \(Unexpected end of JSON input\)/,
          ),
        }),
      )
    }
  })

  it('audits as of an instant without comparing read models, which stand at a later checkpoint', async () => {
    const path = await projectedStore('as-of.db')
    const run = await audit(path, '--as-of', '2026-03-03T12:00:00+08:00', '--axis', 'business')
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report.counts).toMatchObject({ events: 9, skipped: 3, eLicencesIssued: 0 })
    expect(report).not.toHaveProperty('readModels')
  })

  it('reports a store without read models as such', async () => {
    const path = files.path('plain.db')
    expect(
      (
        await runInProcess(
          ['exec', '--store', `sqlite:${path}`],
          ndjson(licenceLifecycle(licenceNumberFor(64))),
        )
      ).exitCode,
    ).toBe(0)
    const run = await audit(path)
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ counts: { events: 3 }, readModels: null })
  })
})

describe('elicence audit --max-clock-skew', () => {
  it('checks rule 10 with the skew the service ran with: a wider one is no anomaly, the default finds it', async () => {
    const path = files.path('skewed.db')
    const record = recordLicence(licenceNumberFor(64))
    // The registry states its command five minutes ahead; the service allowed ten.
    const aheadOfClock = () => new Date(Date.parse(record.metadata.at) - 5 * 60_000)
    const exec = await runInProcess(
      ['exec', '--store', `sqlite:${path}`, '--max-clock-skew', '600000'],
      ndjson([record]),
      {},
      aheadOfClock,
    )
    expect(exec.exitCode).toBe(0)
    assertBuildIsFresh()
    const byDefault = await audit(path)
    expect(byDefault.exitCode).toBe(1)
    expect(JSON.parse(byDefault.stdout).counts.anomaliesByKind).toEqual({ 'instant-in-future': 1 })
    for (const run of [
      await audit(path, '--max-clock-skew', '600000'),
      await runInProcess(['audit', '--store', `sqlite:${path}`, '--json'], '', {
        ELICENCE_MAX_CLOCK_SKEW_MS: '600000',
      }),
      await runProcess([
        'audit',
        '--store',
        `sqlite:${path}`,
        '--json',
        '--partitions',
        '2',
        '--max-clock-skew',
        '600000',
      ]),
    ]) {
      expect([run.exitCode, JSON.parse(run.stdout).counts.anomalies]).toEqual([0, 0])
    }
    const narrower = await audit(path, '--max-clock-skew', '240000')
    expect(narrower.exitCode).toBe(1)
    const bad = await audit(path, '--max-clock-skew', 'ten minutes')
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/--max-clock-skew \(or \$ELICENCE_MAX_CLOCK_SKEW_MS\) must be a whole number/)
  })
})
