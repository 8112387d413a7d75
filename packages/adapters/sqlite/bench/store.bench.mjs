// Benchmarks of the SQLite event store (DESIGN §8, issue 3), against the built dist/ (run `pnpm bench`,
// which builds first). Each section runs for a few seconds on a fresh file in a temporary directory:
// - commands/s through the command handler, one command per transaction, 1 and 8 concurrent clients,
//   each client driving whole licence lifecycles (record, apply, review, status changes, renewal, …);
// - events/s for a bulk import (appends of many events per transaction);
// - events/s reading the whole log in global order (readAll pages), raw and decoded.
//
// Example: node --expose-gc packages/adapters/sqlite/bench/store.bench.mjs
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  chinaMainlandCalendar,
  citizenIdCheckCharacter,
  commandHandler,
  defaultStoredEventDecoder,
  licenceDecider,
  sha256Hex,
} from '@elicence/domain'
import { sqliteEventStore } from '../dist/index.js'

const dir = mkdtempSync(join(tmpdir(), 'elicence-bench-'))
const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const authority = { code: '京A', name: '北京市公安局公安交通管理局' }
const registry = { role: 'registry', id: 'registry-bj' }
const system = { role: 'system', id: 'review-job' }

const licenceNumberFor = (serial) => {
  const born = new Date(Date.UTC(1960, 0, 1) + Math.floor(serial / 900) * 86_400_000)
  const date = born.toISOString().slice(0, 10).replaceAll('-', '')
  const first17 = `110105${date}${String(100 + (serial % 900)).padStart(3, '0')}`
  return `${first17}${citizenIdCheckCharacter(first17)}`
}

const command = (type, data, actor, at) => ({
  type,
  data,
  metadata: { commandId: crypto.randomUUID(), at, actor },
})

/** One licence's life: eight commands, each its own transaction, nine events in its stream. */
const lifecycle = (serial) => {
  const licenceNumber = licenceNumberFor(serial)
  const holder = { role: 'holder', id: `acct-${serial}` }
  const ref = (applicationId) => ({ licenceNumber, applicationId })
  return [
    command(
      'RecordLicence',
      {
        licenceNumber,
        holder: { accountId: holder.id, name: '张三' },
        classes: ['C1', 'D'],
        validFrom: '2020-01-01',
        validUntil: '2030-01-01',
        authority,
        statuses: ['A'],
        photoOnFile: true,
      },
      registry,
      '2026-03-02T09:00:00+08:00',
    ),
    command(
      'ApplyForELicence',
      { ...ref('app-1'), declaredValidFrom: '2020-01-01', faceCheck: { passed: true } },
      holder,
      '2026-03-02T10:00:00+08:00',
    ),
    command('ReviewApplication', ref('app-1'), system, '2026-03-04T09:00:00+08:00'),
    command('ChangeLicenceStatus', { licenceNumber, statuses: ['D'] }, registry, '2026-03-05T09:00:00+08:00'),
    command('ChangeLicenceStatus', { licenceNumber, statuses: ['A'] }, registry, '2026-03-06T09:00:00+08:00'),
    command(
      'RenewLicence',
      { licenceNumber, classes: ['C1', 'D'], validFrom: '2020-01-01', validUntil: '2036-01-01', authority },
      registry,
      '2026-03-09T09:00:00+08:00',
    ),
    command(
      'ApplyForELicence',
      { ...ref('app-2'), declaredValidFrom: '2020-01-01', faceCheck: { passed: true } },
      holder,
      '2026-03-10T10:00:00+08:00',
    ),
    command('WithdrawApplication', ref('app-2'), holder, '2026-03-10T11:00:00+08:00'),
  ]
}

const rate = (count, ms) => Math.round((count / ms) * 1000).toLocaleString('en-US')
const line = (label, count, unit, ms, note = '') =>
  console.log(
    `${label.padEnd(58)} ${rate(count, ms).padStart(9)} ${unit}/s  (${count} in ${ms.toFixed(0)} ms)${note}`,
  )

let files = 0
const fresh = (name, options = {}) => {
  const path = join(dir, `${name}-${++files}.db`)
  return { path, store: sqliteEventStore({ path, ...options }) }
}

/** Adds up the time spent inside the store, to tell it apart from the handler's own work. */
const timed = (store) => {
  const spent = { read: 0, append: 0 }
  const measure =
    (key, run) =>
    async (...args) => {
      const started = performance.now()
      const result = await run(...args)
      spent[key] += performance.now() - started
      return result
    }
  return {
    spent,
    store: {
      ...store,
      readStream: measure('read', store.readStream),
      appendToStream: measure('append', store.appendToStream),
      // The handler decides inside this one: its read, decision and append, under the write lock.
      decideAndAppend: measure('append', store.decideAndAppend),
    },
  }
}

/** `clients` async clients share one store and handler; each runs whole lifecycles on its own licences. */
const benchCommands = async (label, clients, licencesPerClient, options) => {
  const { store: real } = fresh(`commands-${clients}`, options)
  const { store, spent } = timed(real)
  const handle = commandHandler({ store, decider })
  const plans = Array.from({ length: clients }, (_, client) =>
    Array.from({ length: licencesPerClient }, (_, index) =>
      lifecycle(client * licencesPerClient + index),
    ).flat(),
  )
  let refused = 0
  const started = performance.now()
  await Promise.all(
    plans.map(async (plan) => {
      for (const next of plan) {
        const outcome = await handle(next)
        if (outcome._tag === 'Left') {
          refused++
          if (refused === 1) console.error('refused:', outcome.left)
        }
      }
    }),
  )
  const ms = performance.now() - started
  await real.close()
  const total = plans.flat().length
  line(label, total, 'commands', ms, refused > 0 ? `  ${refused} refused!` : '')
  if (refused > 0) process.exitCode = 1
  // With one client nothing overlaps, so the split of each command's time is exact.
  if (clients === 1) {
    const micros = (part) => ((part / total) * 1000).toFixed(0).padStart(4)
    console.log(
      `${''.padEnd(4)}per command: ${micros(ms)} µs = store (read, decide, append) ${micros(spent.append)} µs` +
        ` + store read ${micros(spent.read)} µs + handler ${micros(ms - spent.append - spent.read)} µs`,
    )
  }
}

/** The handler hashes every command: the domain's portable SHA-256 (@noble/hashes) against node:crypto's. */
const benchDigests = async () => {
  const text = JSON.stringify(lifecycle(0)[0])
  const rounds = 20_000
  let started = performance.now()
  for (let round = 0; round < rounds; round++) sha256Hex(text)
  const portable = ((performance.now() - started) / rounds) * 1000
  started = performance.now()
  for (let round = 0; round < rounds; round++) createHash('sha256').update(text).digest('hex')
  const nodeCrypto = ((performance.now() - started) / rounds) * 1000
  console.log(
    `${'SHA-256 of one command: @noble/hashes vs node:crypto'.padEnd(58)} ${portable.toFixed(1).padStart(9)} µs vs ${nodeCrypto.toFixed(1)} µs`,
  )
}

const drafts = (streamId, count) =>
  Array.from({ length: count }, (_, index) => ({
    type: index === 0 ? 'LicenceRecorded' : 'LicenceStatusChanged',
    data:
      index === 0
        ? {
            licenceNumber: streamId.slice('licence-'.length),
            holder: { accountId: `acct-${streamId}`, name: '张三' },
            classes: ['C1'],
            validFrom: '2020-01-01',
            validUntil: '2030-01-01',
            authority,
            statuses: ['A'],
            photoOnFile: true,
          }
        : {
            statuses: index % 2 === 1 ? ['D'] : ['A'],
            previous: index % 2 === 1 ? ['A'] : ['D'],
            changedAt: '2026-03-05T01:00:00.000Z',
          },
    metadata: {
      eventId: crypto.randomUUID(),
      commandId: crypto.randomUUID(),
      commandHash: 'c'.repeat(64),
      actor: registry,
      at: '2026-03-05T09:00:00+08:00',
      recordedAt: '2026-03-05T01:00:00.000Z',
      schemaVersion: 2,
      rulesVersion: decider.rulesVersion,
    },
  }))

/**
 * Appends `streams` streams of `perStream` events. `together` appends are issued at once, so the
 * store's group commit puts them in one transaction: `together` × `perStream` events per commit.
 */
const benchImport = async (label, streams, perStream, together) => {
  const { path, store } = fresh(`import-${perStream}-${together}`)
  const batches = Array.from({ length: streams }, (_, index) => {
    const streamId = `licence-${licenceNumberFor(index)}`
    return [streamId, drafts(streamId, perStream)]
  })
  const started = performance.now()
  for (let first = 0; first < batches.length; first += together) {
    const appended = await Promise.all(
      batches
        .slice(first, first + together)
        .map(([streamId, events]) => store.appendToStream(streamId, 'no-stream', events)),
    )
    const failed = appended.find((result) => result._tag === 'Left')
    if (failed !== undefined) throw new Error(failed.left.message)
  }
  const ms = performance.now() - started
  await store.close()
  line(label, streams * perStream, 'events', ms)
  return path
}

const benchRead = async (path, pageSize) => {
  const store = sqliteEventStore({ path })
  for (const decode of [false, true]) {
    let after = 0
    let count = 0
    let corrupt = 0
    const started = performance.now()
    for (;;) {
      const page = await store.readAll({ after, limit: pageSize })
      if (page._tag === 'Left') throw new Error(page.left.message)
      if (page.right.events.length === 0) break
      if (decode)
        for (const event of page.right.events)
          if (defaultStoredEventDecoder.decode(event)._tag === 'Left') corrupt++
      count += page.right.events.length
      after = page.right.lastPosition
    }
    const ms = performance.now() - started
    line(
      `read the whole log, pages of ${pageSize}, ${decode ? 'decoded' : 'raw (JSON parsed)'}`,
      count,
      'events',
      ms,
      corrupt > 0 ? `  ${corrupt} corrupt!` : '',
    )
    if (corrupt > 0) process.exitCode = 1
  }
  await store.close()
}

try {
  console.log('SQLite event store (better-sqlite3, WAL); each figure from a fresh file')
  await benchCommands('handler, 1 client, synchronous=full', 1, 600, {})
  await benchCommands('handler, 8 clients, synchronous=full', 8, 75, {})
  await benchCommands('handler, 1 client, synchronous=normal', 1, 600, { synchronous: 'normal' })
  await benchCommands('handler, 8 clients, synchronous=normal', 8, 75, { synchronous: 'normal' })
  await benchDigests()
  await benchImport('bulk import, 10 events per transaction', 5_000, 10, 1)
  const big = await benchImport('bulk import, 2,000 events per transaction (group commit)', 20_000, 10, 200)
  await benchRead(big, 1000)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
