// Benchmark of the auditor's and the projection runner's replay (issue 4), against the built dist/
// (run `pnpm bench`, which builds first): a history of ELICENCE_BENCH_EVENTS events (default
// 1 000 000, ten per licence, so 100 000 licences) in a SQLite event store, then
// - replay, one reader: the store's readAll in pages, every event decoded and applied to every
//   in-memory view (e-licence views, statistics, review queue) — events/s and peak memory;
// - replay, partitioned by stream (DESIGN §8: streams are independent): two worker threads, each
//   reading its half of the streams in global order straight from the events table, decoding and
//   applying them; their statistics merged at the end — events/s and peak memory;
// - runner: the projection runner committing views, timelines, queue and statistics with their
//   checkpoint into a SQLite read-model store — events/s (over ELICENCE_BENCH_RUNNER_EVENTS, default
//   200 000, to keep the run to a few minutes).
// - audit: `auditHistory` (hash chains with node:crypto SHA-256, decoding, rules, rebuilt views) over
//   ELICENCE_BENCH_AUDIT_EVENTS (default 200 000) — events/s.
// The history is generated once per size and kept in the temporary directory for later runs.
//
// Example: ELICENCE_BENCH_EVENTS=100000 node --expose-gc packages/projections/bench/replay.bench.mjs
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import {
  citizenIdCheckCharacter,
  currentSchemaVersion,
  decodeStoredEvent,
  rulesVersion,
} from '@elicence/domain'
import {
  auditHistory,
  mergeStatistics,
  projectionRunner,
  readModelQueries,
  replayReadModels,
} from '@elicence/projections'
import { sqliteEventStore, sqliteReadModelStore } from '../../adapters/sqlite/dist/index.js'

const totalEvents = Number(process.env.ELICENCE_BENCH_EVENTS ?? 1_000_000)
const auditEvents = Math.min(totalEvents, Number(process.env.ELICENCE_BENCH_AUDIT_EVENTS ?? 200_000))
const runnerEvents = Math.min(totalEvents, Number(process.env.ELICENCE_BENCH_RUNNER_EVENTS ?? 200_000))
const eventsPerLicence = 10
const licences = Math.ceil(totalEvents / eventsPerLicence)
const dir = join(tmpdir(), 'elicence-bench-replay')
mkdirSync(dir, { recursive: true })
const historyPath = join(dir, `history-${licences}-v1.db`)

const licenceNumberFor = (serial) => {
  const born = new Date(Date.UTC(1950, 0, 1) + Math.floor(serial / 900) * 86_400_000)
  const first17 = `110105${born.toISOString().slice(0, 10).replaceAll('-', '')}${String(100 + (serial % 900)).padStart(3, '0')}`
  return `${first17}${citizenIdCheckCharacter(first17)}`
}

const hour = 3_600_000
const authority = { code: '京A', name: '北京市公安局公安交通管理局' }
const calendar = { id: 'weekdays', version: '1', fallback: false }

/** One licence's life as commands of events: ten events in nine appends, like the decider writes them. */
const lifecycle = (serial) => {
  const licenceNumber = licenceNumberFor(serial)
  const holderId = `acct-${serial}`
  const t0 = Date.parse('2026-03-02T01:00:00Z') + (serial % 1000) * 60_000
  const at = (hours) => new Date(t0 + hours * hour).toISOString()
  const photo = { id: `photo-${serial}`, capturedOn: '2026-03-01', defects: [] }
  const c = (hours, role, id, events) => ({ at: at(hours), actor: { role, id }, events })
  return [
    c(0, 'registry', 'registry-bj', [
      [
        'LicenceRecorded',
        {
          licenceNumber,
          holder: { accountId: holderId, name: '张三丰' },
          classes: ['C1'],
          validFrom: '2020-01-01',
          validUntil: '2030-01-01',
          authority,
          statuses: ['A'],
          photoOnFile: false,
        },
      ],
    ]),
    c(1, 'holder', holderId, [
      [
        'ELicenceApplied',
        {
          applicationId: 'app-1',
          declaredValidFrom: '2020-01-01',
          appliedAt: at(1),
          reviewDueAt: at(25),
          calendar,
        },
      ],
    ]),
    c(25, 'system', 'review-job', [
      [
        'PhotoRejected',
        {
          applicationId: 'app-1',
          reasons: ['no-photo-on-file'],
          photoId: null,
          source: 'review',
          rejectedAt: at(25),
        },
      ],
    ]),
    c(26, 'holder', holderId, [
      [
        'PhotoSubmitted',
        { applicationId: 'app-1', photo, submittedAt: at(26), reviewDueAt: at(50), calendar },
      ],
    ]),
    c(50, 'system', 'review-job', [
      [
        'ELicenceIssued',
        {
          applicationId: 'app-1',
          eLicenceId: `EL-${licenceNumber}-1`,
          classes: ['C1'],
          validFrom: '2020-01-01',
          validUntil: '2030-01-01',
          authority,
          issuedAt: at(50),
        },
      ],
    ]),
    c(200, 'registry', 'registry-bj', [
      [
        'LicenceRenewed',
        {
          classes: ['B2'],
          validFrom: '2020-01-01',
          validUntil: '2030-01-01',
          authority,
          changes: ['class'],
          renewedAt: at(200),
        },
      ],
      [
        'ELicenceInvalidated',
        {
          eLicenceId: `EL-${licenceNumber}-1`,
          reason: 'renewal',
          changes: ['class'],
          invalidatedAt: at(200),
        },
      ],
    ]),
    c(201, 'holder', holderId, [
      [
        'ELicenceApplied',
        {
          applicationId: 'app-2',
          declaredValidFrom: '2020-01-01',
          appliedAt: at(201),
          reviewDueAt: at(225),
          calendar,
        },
      ],
    ]),
    c(225, 'system', 'review-job', [
      [
        'ELicenceIssued',
        {
          applicationId: 'app-2',
          eLicenceId: `EL-${licenceNumber}-2`,
          classes: ['B2'],
          validFrom: '2020-01-01',
          validUntil: '2030-01-01',
          authority,
          issuedAt: at(225),
        },
      ],
    ]),
    c(300, 'registry', 'registry-bj', [
      ['LicenceStatusChanged', { statuses: ['H'], previous: ['A'], changedAt: at(300) }],
    ]),
  ]
}

const unwrap = (either, what) => {
  if (either._tag === 'Left') throw new Error(`${what}: ${either.left.message}`)
  return either.right
}

const generate = async () => {
  const partial = `${historyPath}.partial`
  rmSync(partial, { force: true })
  const store = sqliteEventStore({ path: partial, synchronous: 'normal' })
  const started = performance.now()
  let events = 0
  let commands = 0
  // Lives interleave in chunks, as a real log does, rather than one licence after another.
  const chunk = 500
  for (let first = 0; first < licences; first += chunk) {
    const lives = []
    for (let serial = first; serial < Math.min(licences, first + chunk); serial++)
      lives.push(lifecycle(serial))
    const versions = lives.map(() => -1)
    // Two appends per licence (its first five commands, then the rest) keep generation to ~30 s per
    // million events; the events and their metadata are still those of one command each.
    for (const [from, to] of [
      [0, 5],
      [5, 9],
    ]) {
      for (const [index, life] of lives.entries()) {
        const serial = first + index
        const newEvents = life.slice(from, to).flatMap((commandAt) => {
          const commandId = `00000000-0000-4000-8000-${String(commands++).padStart(12, '0')}`
          return commandAt.events.map(([type, data], n) => ({
            type,
            data,
            metadata: {
              eventId: `10000000-0000-4000-8000-${String(commands * 2 + n).padStart(12, '0')}`,
              commandId,
              commandHash: '0'.repeat(64),
              actor: commandAt.actor,
              at: commandAt.at,
              recordedAt: commandAt.at,
              schemaVersion: currentSchemaVersion,
              rulesVersion,
            },
          }))
        })
        const appended = await store.appendToStream(
          `licence-${licenceNumberFor(serial)}`,
          versions[index] === -1 ? 'no-stream' : versions[index],
          newEvents,
        )
        versions[index] = unwrap(appended, 'append').version
        events += newEvents.length
      }
    }
    if (first % 20_000 === 0) process.stdout.write(`\r  generating: ${events.toLocaleString('en')} events`)
  }
  await store.close()
  renameSync(partial, historyPath)
  for (const suffix of ['-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true })
  const seconds = (performance.now() - started) / 1000
  console.log(
    `\r  generated ${events.toLocaleString('en')} events for ${licences.toLocaleString('en')} licences in ${seconds.toFixed(1)} s`,
  )
}

const mib = (bytes) => `${(bytes / 1_048_576).toFixed(0)} MiB`

const replay = async () => {
  const store = sqliteEventStore({ path: historyPath })
  globalThis.gc?.()
  const baseline = process.memoryUsage()
  const models = replayReadModels()
  let peakRss = baseline.rss
  let peakHeap = baseline.heapUsed
  let after = 0
  let count = 0
  const started = performance.now()
  for (;;) {
    const page = unwrap(await store.readAll({ after, limit: 5000 }), 'readAll')
    if (page.events.length === 0) break
    for (const stored of page.events) {
      const decoded = decodeStoredEvent(stored)
      if (decoded._tag === 'Left') throw new Error(decoded.left.message)
      const applied = models.apply(decoded.right)
      if (applied._tag === 'Left') throw new Error(applied.left.message)
    }
    count += page.events.length
    after = page.lastPosition
    if (count % 100_000 < 5000) {
      const usage = process.memoryUsage()
      peakRss = Math.max(peakRss, usage.rss)
      peakHeap = Math.max(peakHeap, usage.heapUsed)
    }
  }
  const queue = models.reviewQueue()
  const seconds = (performance.now() - started) / 1000
  const usage = process.memoryUsage()
  peakRss = Math.max(peakRss, usage.rss)
  peakHeap = Math.max(peakHeap, usage.heapUsed)
  await store.close()
  const statistics = models.statistics()
  // What stays after a collection is what the read models hold: one view per licence.
  globalThis.gc?.()
  const retained = process.memoryUsage().heapUsed - baseline.heapUsed
  console.log(
    `  replay into every view, one reader: ${count.toLocaleString('en')} events in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} events/s`,
  )
  console.log(
    `    peak rss ${mib(peakRss)}, peak heap ${mib(peakHeap)}; retained after GC ${mib(retained)} = ${Math.round(retained / statistics.licences).toLocaleString('en')} bytes per licence`,
  )
  console.log(
    `    ${statistics.licences.toLocaleString('en')} licences, ${statistics.byState.issued.toLocaleString('en')} e-licences issued, ${queue.length} in the review queue`,
  )
  return models
}

const runner = async () => {
  const readModelsPath = join(dir, `read-models-${process.pid}.db`)
  const events = sqliteEventStore({ path: historyPath })
  const readModels = sqliteReadModelStore({ path: readModelsPath, synchronous: 'normal' })
  // The runner stops where the benchmark's budget ends: a read-only view of the first events.
  const limited = {
    readAll: async ({ after, limit }) => {
      const read = await events.readAll({ after, limit: Math.max(0, Math.min(limit, runnerEvents - after)) })
      return read
    },
  }
  const started = performance.now()
  const outcome = await projectionRunner({ events: limited, readModels, batchSize: 2000 }).catchUp()
  const seconds = (performance.now() - started) / 1000
  const checkpoint = unwrap(outcome, 'runner')
  const statistics = unwrap(await readModelQueries(readModels).statistics(), 'statistics')
  console.log(
    `  runner into SQLite read models: ${checkpoint.position.toLocaleString('en')} events in ${seconds.toFixed(2)} s = ${Math.round(checkpoint.position / seconds).toLocaleString('en')} events/s (${statistics.licences.toLocaleString('en')} licences)`,
  )
  await readModels.close()
  await events.close()
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${readModelsPath}${suffix}`, { force: true })
}

/**
 * One partition's replay, in a worker: its streams' events in global order, straight from the events
 * table (the store's own schema), decoded and applied like the runner does.
 */
const replayPartition = ({ path, partitions, partition }) => {
  const Database = createRequire(new URL('../../adapters/sqlite/package.json', import.meta.url))(
    'better-sqlite3',
  )
  const db = new Database(path, { readonly: true })
  // The partition key is the last digit of the licence's sequence code: cheap in SQL and even here.
  const page = db
    .prepare(
      `SELECT position, stream_id, version, type, data, metadata FROM events
       WHERE position > ? AND unicode(substr(stream_id, -2, 1)) % ? = ? ORDER BY position LIMIT ?`,
    )
    .raw()
  const models = replayReadModels()
  let after = 0
  let count = 0
  let peakRss = 0
  let peakHeap = 0
  for (;;) {
    const rows = page.all(after, partitions, partition, 5000)
    if (rows.length === 0) break
    for (const row of rows) {
      const decoded = decodeStoredEvent({
        streamId: row[1],
        version: row[2],
        position: row[0],
        type: row[3],
        data: JSON.parse(row[4]),
        metadata: JSON.parse(row[5]),
      })
      if (decoded._tag === 'Left') throw new Error(decoded.left.message)
      const applied = models.apply(decoded.right)
      if (applied._tag === 'Left') throw new Error(applied.left.message)
    }
    count += rows.length
    after = rows[rows.length - 1][0]
    const usage = process.memoryUsage()
    peakRss = Math.max(peakRss, usage.rss)
    peakHeap = Math.max(peakHeap, usage.heapUsed)
  }
  db.close()
  parentPort.postMessage({
    count,
    statistics: models.statistics(),
    queue: models.reviewQueue().length,
    peakRss,
    peakHeap,
  })
}

const partitionedReplay = async (partitions) => {
  const started = performance.now()
  let peakRss = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const results = await Promise.all(
    Array.from(
      { length: partitions },
      (_, partition) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { path: historyPath, partitions, partition },
          })
          worker.once('message', resolve)
          worker.once('error', reject)
        }),
    ),
  )
  clearInterval(sampler)
  const seconds = (performance.now() - started) / 1000
  const count = results.reduce((sum, result) => sum + result.count, 0)
  const statistics = results.map((result) => result.statistics).reduce(mergeStatistics)
  console.log(
    `  replay into every view, ${partitions} partitions by stream: ${count.toLocaleString('en')} events in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} events/s`,
  )
  console.log(
    `    peak rss ${mib(peakRss)} (whole process), peak heap per partition ${results.map((result) => mib(result.peakHeap)).join(', ')}`,
  )
  console.log(
    `    ${statistics.licences.toLocaleString('en')} licences, ${statistics.byState.issued.toLocaleString('en')} e-licences issued, ${results.reduce((sum, result) => sum + result.queue, 0)} in the review queue`,
  )
}

const audit = async () => {
  const store = sqliteEventStore({ path: historyPath })
  async function* history() {
    for (let after = 0; after < auditEvents; ) {
      const page = unwrap(
        await store.readAll({ after, limit: Math.min(5000, auditEvents - after) }),
        'readAll',
      )
      if (page.events.length === 0) return
      yield* page.events
      after = page.lastPosition
    }
  }
  const started = performance.now()
  const report = await auditHistory(history(), {
    digest: (text) => createHash('sha256').update(text).digest('hex'),
  })
  const seconds = (performance.now() - started) / 1000
  console.log(
    `  audit (chains, decoding, rules, views): ${report.counts.events.toLocaleString('en')} events in ${seconds.toFixed(2)} s = ${Math.round(report.counts.events / seconds).toLocaleString('en')} events/s, ${report.counts.anomalies} anomalies`,
  )
  await store.close()
}

if (!isMainThread) replayPartition(workerData)
else {
  if (!existsSync(historyPath)) await generate()
  else console.log(`  history: ${historyPath} (kept from an earlier run)`)
  // Partitions first: their peak memory is then the whole process's, with nothing left from the other.
  await partitionedReplay(2)
  globalThis.gc?.()
  await replay()
  await runner()
  await audit()
}
