import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type StoredEvent, type StoreError, streamIdFor } from '@elicence/domain'
import {
  type AuditReport,
  auditHistory,
  leafOfEntry,
  merkleAccumulator,
  replayReadModels,
  rootOfLeafHashes,
} from '@elicence/projections'
import {
  auditPartitioned,
  type EventStoreLocator,
  nodeSha256,
  replayPartitioned,
} from '@elicence/projections/node'
import {
  decodeHistory,
  historyScriptArbitrary,
  licenceNumberFor,
  runHistoryScript,
} from '@elicence/projections/testing'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteEventStore } from './sqlite-store.js'

// The workers run this workspace's TypeScript sources, like the tests, through module hooks.
const hooks = new URL('./typescript-hooks.fixture.mjs', import.meta.url).href
const registerHooks = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)})`,
)}`
const execArgv = ['--conditions=@elicence/source', '--import', registerHooks]
const sqliteModule = new URL('./index.ts', import.meta.url).href

const dir = mkdtempSync(join(tmpdir(), 'elicence-partitioned-replay-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const right = <A>(either: E.Either<StoreError, A>): A => {
  if (E.isLeft(either)) throw new Error(either.left.message)
  return either.right
}

const located = (path: string, open = 'openSqliteEventStore'): EventStoreLocator => ({
  module: sqliteModule,
  open,
  location: path,
})

/** One reader's replay of the whole log: what every partitioned replay must add up to. */
const singleReader = (events: ReadonlyArray<StoredEvent>) => {
  const replay = replayReadModels()
  for (const event of decodeHistory(events)) right(replay.apply(event))
  return {
    events: events.length,
    statistics: replay.statistics(),
    reviewQueue: replay.reviewQueue(),
    views: new Map(replay.views()),
  }
}

/** A random history written to a new SQLite file through the command handler. */
const historyFile = async (script: Parameters<typeof runHistoryScript>[0]) => {
  const path = join(dir, `${randomUUID()}.db`)
  const store = sqliteEventStore({ path })
  const { events } = await runHistoryScript(script, { store })
  await store.close()
  return { path, events }
}

describe('replayPartitioned and auditPartitioned: worker threads over a SQLite store', () => {
  it('for random histories, equals one reader’s replay of the whole log', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxLicences: 8, minSteps: 5, maxSteps: 40 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        async (script, partitions, pageSize) => {
          const { path, events } = await historyFile(script)
          const progress: number[] = []
          const replayed = right(
            await replayPartitioned({
              store: located(path),
              partitions,
              pageSize,
              views: true,
              execArgv,
              onProgress: (count) => progress.push(count),
            }),
          )
          const single = singleReader(events)
          expect(replayed.events).toBe(single.events)
          expect(replayed.statistics).toEqual(single.statistics)
          expect(replayed.reviewQueue).toEqual(single.reviewQueue)
          expect(replayed.views).toEqual(single.views)
          expect(replayed.partitions.map(({ partition }) => partition)).toEqual(
            Array.from({ length: partitions }, (_, index) => ({ index, count: partitions })),
          )
          expect(Math.max(...replayed.partitions.map((outcome) => outcome.lastPosition))).toBe(
            events[events.length - 1]?.position ?? 0,
          )
          expect(progress[progress.length - 1]).toBe(events.length)
        },
      ),
      // Each run starts its workers afresh, and they load the TypeScript sources: a few runs only;
      // partition-replay.test.ts runs the same comparison in one thread many times.
      { numRuns: 4 },
    )
  }, 240_000) // every run starts worker threads that load the TypeScript sources: seconds each on a busy machine

  it("reads through the embedder's decoder in every worker, and refuses one that cannot be loaded", async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore({ path })
    const appended = await store.appendToStream(streamIdFor(licenceNumberFor(0)), 'no-stream', [
      {
        type: 'LicenceRecorded',
        data: {
          licenceNumber: licenceNumberFor(0),
          holder: { accountId: 'acct-1', name: '张三' },
          classes: 'B2 C1',
          validFrom: '2020-03-15',
          validUntil: 'long-term',
          authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
          statuses: ['A'],
          photoOnFile: true,
        },
        metadata: {
          eventId: 'event-1',
          commandId: randomUUID(),
          commandHash: 'a'.repeat(64),
          actor: { role: 'registry', id: 'registry-1' } as never,
          at: '2026-09-30T10:00:00+08:00',
          recordedAt: '2026-09-30T02:00:00.000Z',
          schemaVersion: 1,
          rulesVersion: 'embedder-1',
        },
      },
    ])
    await store.close()
    expect(E.isRight(appended)).toBe(true)
    const decoder = {
      module: new URL('./embedder-decoder.fixture.ts', import.meta.url).href,
      export: 'embedderDecoder',
    }
    const replayed = right(
      await replayPartitioned({ store: located(path), partitions: 2, views: true, execArgv, decoder }),
    )
    expect(replayed.views?.get(streamIdFor(licenceNumberFor(0)))).toMatchObject({ classes: ['B2', 'C1'] })
    const audited = right(await auditPartitioned({ store: located(path), partitions: 1, execArgv, decoder }))
    expect(audited.counts.anomalies).toBe(0)
    // Without it, the built-in upcasters cannot read the event: the replay stops, the audit reports it.
    const builtIn = await replayPartitioned({ store: located(path), partitions: 1, execArgv })
    expect(E.isLeft(builtIn) && builtIn.left.code).toBe('corrupt-event')
    // Refused before any worker starts.
    const notADecoder = await replayPartitioned({
      store: located(path),
      partitions: 2,
      execArgv,
      decoder: { ...decoder, export: 'nothing' },
    })
    expect(E.isLeft(notADecoder) && notADecoder.left.message).toMatch(
      /nothing of .* is not a stored-event decoder/,
    )
    // Three runs start four workers, each loading the TypeScript sources: more than the default bound.
  }, 180_000)

  it('refuses, before starting workers, a count below 1, a locator that opens nothing, a store without partitions', async () => {
    const { path } = await historyFile({ licences: [], steps: [] })
    const failed = async (outcome: Promise<E.Either<StoreError, unknown>>) => {
      const settled = await outcome
      if (E.isRight(settled)) throw new Error('expected a failure')
      return settled.left
    }
    expect(await failed(replayPartitioned({ store: located(path), partitions: 0, execArgv }))).toMatchObject({
      code: 'store-failure',
      message: expect.stringMatching(/count 0/),
    })
    expect(
      await failed(replayPartitioned({ store: located(path, 'noSuchOpener'), partitions: 2, execArgv })),
    ).toMatchObject({ code: 'store-failure', message: expect.stringMatching(/no function noSuchOpener/) })
    expect(
      await failed(
        replayPartitioned({
          store: {
            module: new URL('./partitionless-store.fixture.ts', import.meta.url).href,
            open: 'openWithoutPartitions',
            location: path,
          },
          partitions: 2,
          execArgv,
        }),
      ),
    ).toMatchObject({ code: 'store-failure', message: expect.stringMatching(/does not read partitions/) })
  })

  it('stops at an undecodable stored event, whichever worker meets it, and reports it as corrupt', async () => {
    const licences = [0, 1, 2, 3].map((index) => ({
      licenceNumber: licenceNumberFor(index),
      photoOnFile: true,
      statuses: ['A'] as const,
    }))
    const { path } = await historyFile({ licences, steps: [] })
    const db = new Database(path)
    try {
      db.exec('DROP TRIGGER events_are_never_updated')
      db.prepare(`UPDATE events SET data = '{"licenceNumber":"not one"}' WHERE stream_id = ?`).run(
        streamIdFor(licenceNumberFor(2)),
      )
    } finally {
      db.close()
    }
    const replayed = await replayPartitioned({ store: located(path), partitions: 2, execArgv })
    expect(E.isLeft(replayed) && replayed.left).toMatchObject({
      code: 'corrupt-event',
      streamId: streamIdFor(licenceNumberFor(2)),
      version: 0,
    })
  })

  it('auditPartitioned, over a history with an edited event, reports what one audit of the whole log does', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxLicences: 8, minSteps: 5, maxSteps: 40 }),
        fc.nat(),
        async (script, pick) => {
          const { path, events } = await historyFile(script)
          const edited = events[pick % events.length]
          if (edited === undefined) throw new Error('expected events')
          const db = new Database(path)
          try {
            db.exec('DROP TRIGGER events_are_never_updated')
            db.prepare(`UPDATE events SET data = json_set(data, '$.edited', 1) WHERE position = ?`).run(
              edited.position,
            )
          } finally {
            db.close()
          }
          const store = sqliteEventStore({ path })
          const log = right(await store.readAll({ after: 0, limit: 10_000 })).events
          const whole = await auditHistory(log)
          await store.close()
          // The tree beside the workers, from the leaves they hash, is the tree of the log read whole.
          const tree = merkleAccumulator(nodeSha256)
          const audited = right(
            await auditPartitioned({
              store: located(path),
              partitions: 2,
              execArgv,
              onLeaf: (leaf) => tree.append(leaf),
            }),
          )
          expect(tree.size()).toBe(log.length)
          expect(tree.root()).toEqual(
            rootOfLeafHashes(
              nodeSha256,
              log.map((event) => leafOfEntry(nodeSha256, event)),
            ),
          )
          const canonical = (report: AuditReport) => ({
            ...report,
            anomalies: report.anomalies.map((anomaly) => JSON.stringify(anomaly)).sort(),
          })
          const { partitions: _, ...merged } = audited
          expect(canonical(merged)).toEqual(canonical(whole))
          expect(merged.anomalies).toContainEqual(
            expect.objectContaining({ kind: 'hash-mismatch', position: edited.position }),
          )
        },
      ),
      { numRuns: 2 },
    )
  })
})
