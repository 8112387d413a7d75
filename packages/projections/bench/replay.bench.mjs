// Benchmark of the auditor's and the projection runner's replay (issue 4), against the built dist/
// (run `pnpm bench`, which builds first): a history of ELICENCE_BENCH_EVENTS events (default
// 1 000 000, ten per licence, so 100 000 licences) in a SQLite event store, then, each section in a
// child process of its own so that its peak RSS (the kernel's maxrss of that process) is its own:
// - replay, partitioned by stream (DESIGN §8): `replayPartitioned` of @elicence/projections, with
//   ELICENCE_BENCH_PARTITIONS worker threads (default: the cores, at least 2), each opening the store
//   itself and reading its partition through the store's `readPartition`, decoding every event and
//   applying it to every in-memory view; statistics and review queues merged — events/s, peak RSS;
// - replay, one reader: the store's readAll in pages, every event decoded and applied to every
//   in-memory view (e-licence views, statistics, review queue) — events/s, peak RSS, and the heap the
//   views keep per licence after a collection. Both replays read ELICENCE_BENCH_PAGE events per page
//   (default 500);
// - runner: the projection runner committing views, timelines, queue and statistics with their
//   checkpoint into a SQLite read-model store — events/s (over ELICENCE_BENCH_RUNNER_EVENTS, default
//   200 000, to keep the run to a few minutes).
// - audit: `auditHistory` (hash chains with node:crypto SHA-256, decoding, rules, rebuilt views) over
//   ELICENCE_BENCH_AUDIT_EVENTS (default 200 000) — events/s;
// - audit, partitioned: `auditPartitioned`, the same checks in ELICENCE_BENCH_PARTITIONS worker
//   threads over the whole history — events/s, peak RSS.
// - audit, partitioned, with the transparency log's tree (DESIGN §9): the same, the workers hashing
//   their events' leaves and this thread merging them by position into the RFC 9162 tree beside
//   them — events/s of the whole; then the tree alone from one reader, split into reading the
//   hashes in global order and hashing the tree (`nodeSha256` per leaf and node), for comparison.
// - the `elicence` binary on a copy of the history: `log checkpoint` (the log projection written
//   into the SQLite file, then signed) and `audit --store … --checkpoint … --partitions N` (chains,
//   rules, views and the tree against the signed root) — events/s of each whole process.
// Everything reads through the store's API; nothing here reads the SQLite file behind its back.
// The history is generated once per size and kept in the temporary directory for later runs (a file
// of an older event store schema is migrated when first opened, before any section is timed).
//
// Example: ELICENCE_BENCH_EVENTS=100000 node --expose-gc packages/projections/bench/replay.bench.mjs
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  citizenIdCheckCharacter,
  currentSchemaVersion,
  defaultStoredEventDecoder,
  rulesVersion,
} from '@elicence/domain'
import {
  auditHistory,
  leafHash,
  merkleAccumulator,
  projectionRunner,
  readModelQueries,
  replayReadModels,
} from '@elicence/projections'
import { auditPartitioned, nodeSha256, nodeSha256Hex, replayPartitioned } from '@elicence/projections/node'
import { sqliteEventStore, sqliteReadModelStore } from '../../adapters/sqlite/dist/index.js'

const sqliteModule = new URL('../../adapters/sqlite/dist/index.js', import.meta.url).href
const totalEvents = Number(process.env.ELICENCE_BENCH_EVENTS ?? 1_000_000)
const auditEvents = Math.min(totalEvents, Number(process.env.ELICENCE_BENCH_AUDIT_EVENTS ?? 200_000))
const runnerEvents = Math.min(totalEvents, Number(process.env.ELICENCE_BENCH_RUNNER_EVENTS ?? 200_000))
const partitions = Number(process.env.ELICENCE_BENCH_PARTITIONS ?? Math.max(2, availableParallelism()))
// Events per read in both replays: pages of a few hundred stay in V8's young generation (5 000, the
// page of earlier runs, costs a quarter of the speed in full collections).
const pageSize = Number(process.env.ELICENCE_BENCH_PAGE ?? 500)
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
/** The highest resident set this process has had, from the kernel: nothing between samples is missed. */
const peakRss = () => process.resourceUsage().maxRSS * 1024
const rate = (count, seconds) =>
  `${count.toLocaleString('en')} events in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} events/s`

const singleReader = async () => {
  const store = sqliteEventStore({ path: historyPath })
  globalThis.gc?.()
  const baseline = process.memoryUsage()
  const models = replayReadModels()
  let peakHeap = baseline.heapUsed
  let after = 0
  let count = 0
  const started = performance.now()
  for (;;) {
    const page = unwrap(await store.readAll({ after, limit: pageSize }), 'readAll')
    if (page.events.length === 0) break
    for (const stored of page.events) {
      const decoded = defaultStoredEventDecoder.decode(stored)
      if (decoded._tag === 'Left') throw new Error(decoded.left.message)
      const applied = models.apply(decoded.right)
      if (applied._tag === 'Left') throw new Error(applied.left.message)
    }
    count += page.events.length
    after = page.lastPosition
    if (count % 100_000 < pageSize) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  }
  const queue = models.reviewQueue()
  const seconds = (performance.now() - started) / 1000
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  await store.close()
  const statistics = models.statistics()
  // What stays after a collection is what the read models hold: one view per licence.
  globalThis.gc?.()
  const retained = process.memoryUsage().heapUsed - baseline.heapUsed
  console.log(`  replay into every view, one reader (readAll, ${pageSize} per page): ${rate(count, seconds)}`)
  console.log(
    `    peak rss ${mib(peakRss())} (process), peak heap ${mib(peakHeap)}; retained after GC ${mib(retained)} = ${Math.round(retained / statistics.licences).toLocaleString('en')} bytes per licence`,
  )
  console.log(
    `    ${statistics.licences.toLocaleString('en')} licences, ${statistics.byState.issued.toLocaleString('en')} e-licences issued, ${queue.length} in the review queue`,
  )
}

const partitionedReplay = async () => {
  const started = performance.now()
  const replayed = unwrap(
    await replayPartitioned({
      store: { module: sqliteModule, open: 'openSqliteEventStore', location: historyPath },
      partitions,
      pageSize,
    }),
    'replayPartitioned',
  )
  const seconds = (performance.now() - started) / 1000
  const { statistics } = replayed
  console.log(
    `  replay into every view, ${partitions} partitions by stream (worker threads, readPartition, ${pageSize} per page): ${rate(replayed.events, seconds)}`,
  )
  console.log(
    `    peak rss ${mib(peakRss())} (process, all threads), peak heap per partition ${replayed.partitions.map((outcome) => mib(outcome.peakHeapBytes)).join(', ')}; events per partition ${replayed.partitions.map((outcome) => outcome.events.toLocaleString('en')).join(', ')}`,
  )
  console.log(
    `    ${statistics.licences.toLocaleString('en')} licences, ${statistics.byState.issued.toLocaleString('en')} e-licences issued, ${replayed.reviewQueue.length} in the review queue`,
  )
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
    `  runner into SQLite read models: ${rate(checkpoint.position, seconds)} (${statistics.licences.toLocaleString('en')} licences)`,
  )
  await readModels.close()
  await events.close()
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${readModelsPath}${suffix}`, { force: true })
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
    digest: nodeSha256Hex,
  })
  const seconds = (performance.now() - started) / 1000
  console.log(
    `  audit (chains, decoding, rules, views): ${rate(report.counts.events, seconds)}, ${report.counts.anomalies} anomalies`,
  )
  await store.close()
}

const partitionedAudit = async () => {
  const started = performance.now()
  const report = unwrap(
    await auditPartitioned({
      store: { module: sqliteModule, open: 'openSqliteEventStore', location: historyPath },
      partitions,
      pageSize,
    }),
    'auditPartitioned',
  )
  const seconds = (performance.now() - started) / 1000
  console.log(
    `  audit, ${partitions} partitions by stream (worker threads, readPartition): ${rate(report.counts.events, seconds)}, ${report.counts.anomalies} anomalies`,
  )
  console.log(
    `    peak rss ${mib(peakRss())} (process, all threads), peak heap per partition ${report.partitions.map((outcome) => mib(outcome.peakHeapBytes)).join(', ')}`,
  )
}

/** The global order's leaf data, page by page, through the store's API. */
async function* leafData(store) {
  for (let after = 0; ; ) {
    const page = unwrap(await store.readAll({ after, limit: 2000 }), 'readAll')
    if (page.events.length === 0) return
    for (const event of page.events) yield Buffer.from(event.metadata.hash, 'hex')
    after = page.lastPosition
  }
}

const partitionedAuditWithTree = async () => {
  const started = performance.now()
  const tree = merkleAccumulator(nodeSha256)
  let treeDone = started
  const report = unwrap(
    await auditPartitioned({
      store: { module: sqliteModule, open: 'openSqliteEventStore', location: historyPath },
      partitions,
      pageSize,
      onLeaf: (leaf) => {
        tree.append(leaf)
        treeDone = performance.now()
      },
    }),
    'auditPartitioned',
  )
  const seconds = (performance.now() - started) / 1000
  console.log(
    `  audit, ${partitions} partitions, with the tree of ${tree.size().toLocaleString('en')} leaves built beside them (the workers hash the leaves, this thread merges them by position and hashes the nodes): ${rate(report.counts.events, seconds)} (the last leaf after ${((treeDone - started) / 1000).toFixed(2)} s), ${report.counts.anomalies} anomalies`,
  )
  console.log(`    peak rss ${mib(peakRss())} (process, all threads)`)
}

const treeAlone = async () => {
  const store = sqliteEventStore({ path: historyPath })
  let started = performance.now()
  const leaves = []
  for await (const data of leafData(store)) leaves.push(data)
  const readSeconds = (performance.now() - started) / 1000
  await store.close()
  started = performance.now()
  const tree = merkleAccumulator(nodeSha256)
  for (const data of leaves) tree.append(leafHash(nodeSha256, data))
  tree.root()
  const hashSeconds = (performance.now() - started) / 1000
  console.log(
    `  the tree alone: reading the hashes in global order ${rate(leaves.length, readSeconds)}; hashing the tree (leaf + node SHA-256) ${rate(leaves.length, hashSeconds)}`,
  )
}

const cliBinary = fileURLToPath(new URL('../../adapters/cli/dist/main.js', import.meta.url))

const cliAudit = async () => {
  const copy = join(dir, `cli-audit-${process.pid}.db`)
  const keys = join(dir, `cli-keys-${process.pid}`)
  const checkpoint = join(dir, `cli-checkpoint-${process.pid}.txt`)
  copyFileSync(historyPath, copy)
  const cli = (...args) => {
    const started = performance.now()
    const run = spawnSync(process.execPath, [cliBinary, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    if (run.status !== 0 && run.status !== 1) throw new Error(`elicence ${args[0]}: ${run.stderr}`)
    return { ...run, seconds: (performance.now() - started) / 1000 }
  }
  try {
    cli('keys', '--out', keys, '--origin', 'bench.example/elicence/log')
    const signed = cli('log', 'checkpoint', '--store', `sqlite:${copy}`, '--keys', keys)
    writeFileSync(checkpoint, signed.stdout)
    console.log(
      `  elicence log checkpoint (the log projection into the file, then signed): ${rate(totalEvents, signed.seconds)}`,
    )
    for (const count of [...new Set([partitions, 1])]) {
      const audited = cli(
        'audit',
        '--store',
        `sqlite:${copy}`,
        '--json',
        '--partitions',
        String(count),
        '--checkpoint',
        checkpoint,
        '--log-key',
        join(keys, 'log.vkey'),
      )
      const report = JSON.parse(audited.stdout)
      console.log(
        `  elicence audit --store --checkpoint --partitions ${count} (chains, rules, views, tree): ${rate(report.counts.events, audited.seconds)}, ${report.counts.anomalies} anomalies`,
      )
    }
  } finally {
    for (const path of [copy, `${copy}-wal`, `${copy}-shm`, checkpoint, keys])
      rmSync(path, { recursive: true, force: true })
  }
}

const sections = {
  partitioned: partitionedReplay,
  single: singleReader,
  runner,
  audit,
  'audit-partitioned': partitionedAudit,
  'audit-partitioned-tree': partitionedAuditWithTree,
  tree: treeAlone,
  'cli-audit': cliAudit,
}
const section = process.argv[2]

if (section !== undefined) {
  const run = sections[section]
  if (run === undefined) throw new Error(`no section ${section}: ${Object.keys(sections).join(', ')}`)
  // One section asked for on its own still needs the history, made once like a whole run makes it.
  if (!existsSync(historyPath)) await generate()
  await run()
} else {
  if (!existsSync(historyPath)) await generate()
  else {
    console.log(`  history: ${historyPath} (kept from an earlier run)`)
    // Opening migrates a file of an older schema, so that no section times a migration.
    const started = performance.now()
    await sqliteEventStore({ path: historyPath }).close()
    const seconds = (performance.now() - started) / 1000
    if (seconds > 0.5) console.log(`  opened it in ${seconds.toFixed(1)} s (schema migrated)`)
  }
  for (const name of Object.keys(sections)) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], {
      stdio: 'inherit',
    })
    if (child.status !== 0) throw new Error(`section ${name} failed (${child.status ?? child.signal})`)
  }
}
