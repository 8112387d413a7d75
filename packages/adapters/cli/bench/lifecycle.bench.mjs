// The "lifecycle" workload of ../shared/bench-peers (the side-by-side harness with Emmett) in our own
// `pnpm bench`, on every store the CLI opens, with the library defaults (no digest, no options):
// per licence RecordLicence → ApplyForELicence → ReviewApplication → RenewLicence with a class change
// (4 commands, 5 events), `n` licences shared out among 1 or 8 async clients of one handler.
// Then the long-stream case of issue 9: commands on a licence whose stream already holds 750 events,
// by a handler that keeps the folded state (the default) and by one that must read and fold the
// whole stream for every command (a new handler each time, as a restarted process would be).
// PostgreSQL is a throwaway embedded server with durable defaults unless POSTGRES_URL names one.
//
// Example: node packages/adapters/cli/bench/lifecycle.bench.mjs [n]
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  chinaMainlandCalendar,
  citizenIdCheckCharacter,
  commandHandler,
  inMemoryEventStore,
  licenceDecider,
} from '@elicence/domain'
import { postgresEventStore } from '@elicence/postgres'
import { startTestPostgres } from '@elicence/postgres/testing'
import { nodeSha256Hex } from '@elicence/projections/node'
import { sqliteEventStore } from '@elicence/sqlite'

const n = Number(process.argv[2] ?? 2000)
const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const authority = { code: '粤A', name: '广东省广州市公安局交通警察支队' }
const dir = mkdtempSync(join(tmpdir(), 'elicence-lifecycle-bench-'))

const areas = ['110105', '310104', '440103', '330106', '510107', '420106', '320102', '370102']
const licenceNumber = (run, i) => {
  const birth = new Date(Date.UTC(1970, 0, 1) + Math.floor(i / 1000) * 864e5).toISOString().slice(0, 10)
  const first17 = `${areas[run % areas.length]}${birth.replaceAll('-', '')}${String(i % 1000).padStart(3, '0')}`
  return `${first17}${citizenIdCheckCharacter(first17)}`
}
const t0 = Date.parse('2026-09-01T09:00:00+08:00') // a Tuesday: applied at 10:00, due Wednesday 10:00
const iso = (ms) => new Date(ms).toISOString()
const meta = (role, id, at) => ({ commandId: randomUUID(), at, actor: { role, id } })
const lifecycle = (number, i) => [
  {
    type: 'RecordLicence',
    data: {
      licenceNumber: number,
      holder: { accountId: `acct-${i}`, name: '张三' },
      classes: ['C1'],
      validFrom: '2020-05-01',
      validUntil: '2030-05-01',
      authority,
      statuses: ['A'],
      photoOnFile: true,
    },
    metadata: meta('registry', 'reg-1', iso(t0)),
  },
  {
    type: 'ApplyForELicence',
    data: {
      licenceNumber: number,
      applicationId: `app-${i}`,
      declaredValidFrom: '2020-05-01',
      faceCheck: { passed: true },
    },
    metadata: meta('holder', `acct-${i}`, iso(t0 + 3600e3)),
  },
  {
    type: 'ReviewApplication',
    data: { licenceNumber: number, applicationId: `app-${i}` },
    metadata: meta('reviewer', 'rev-1', iso(t0 + 25 * 3600e3)),
  },
  {
    type: 'RenewLicence',
    data: {
      licenceNumber: number,
      classes: ['B2', 'C1'],
      validFrom: '2020-05-01',
      validUntil: '2030-05-01',
      authority,
    },
    metadata: meta('registry', 'reg-1', iso(t0 + 49 * 3600e3)),
  },
]

const mustApply = (outcome, what) => {
  if (outcome._tag === 'Left')
    throw new Error(`${what} refused: ${outcome.left.code}: ${outcome.left.message}`)
  return outcome.right
}

let run = 0
const lifecycles = async (handle, licences, clients) => {
  const thisRun = run++
  let next = 0
  const client = async () => {
    for (let i = next++; i < licences; i = next++) {
      for (const command of lifecycle(licenceNumber(thisRun, i), i))
        mustApply(await handle(command), command.type)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: clients }, client))
  return (performance.now() - started) / 1000
}

const line = (label, count, unit, seconds) =>
  console.log(
    `${label.padEnd(60)} ${Math.round(count / seconds)
      .toLocaleString('en-US')
      .padStart(8)} ${unit}/s`,
  )

/** Alternating status changes: each applies and adds one event. */
const statusChange = (number, index, at) => ({
  type: 'ChangeLicenceStatus',
  data: { licenceNumber: number, statuses: index % 2 === 0 ? ['D'] : ['A'] },
  metadata: meta('registry', 'reg-1', at),
})

const longStream = async (name, store) => {
  const number = licenceNumber(run++, 0)
  const at = iso(t0)
  const warm = commandHandler({ store, decider })
  mustApply(await warm(lifecycle(number, 0)[0]), 'RecordLicence')
  // Many commands at once, so a store with group commit writes the set-up quickly.
  for (let index = 0; index < 749; ) {
    const batch = Array.from({ length: Math.min(1, 749 - index) }, () => statusChange(number, index++, at))
    for (const command of batch) mustApply(await warm(command), 'ChangeLicenceStatus')
  }
  const rounds = 200
  let started = performance.now()
  for (let index = 0; index < rounds; index++)
    mustApply(await warm(statusChange(number, 749 + index, at)), 'warm')
  line(
    `${name}: 750+ event stream, state kept (default)`,
    rounds,
    'commands',
    (performance.now() - started) / 1000,
  )
  const coldRounds = 40
  started = performance.now()
  for (let index = 0; index < coldRounds; index++) {
    const cold = commandHandler({ store, decider })
    mustApply(await cold(statusChange(number, 749 + rounds + index, at)), 'cold')
  }
  line(
    `${name}: 950+ event stream, every command reads it all`,
    coldRounds,
    'commands',
    (performance.now() - started) / 1000,
  )
}

const stores = [
  // As `elicence` opens `memory:` (openEventStore): sealed with node:crypto's SHA-256, which the
  // handler then takes for the command hash too.
  ['memory', async () => inMemoryEventStore({ digest: nodeSha256Hex })],
  ['sqlite', async () => sqliteEventStore({ path: join(dir, `${randomUUID()}.db`) })],
]
let postgres
try {
  postgres = await startTestPostgres()
  stores.push([
    'postgres',
    async () =>
      postgresEventStore({
        connectionString: postgres.url,
        schema: `bench_${randomUUID().replaceAll('-', '')}`,
      }),
  ])
} catch (error) {
  console.log(`PostgreSQL skipped: ${error.message}`)
}

try {
  console.log(`lifecycle workload of bench-peers (n = ${n} licences, 4 commands each), library defaults`)
  for (const [name, open] of stores) {
    for (const clients of [1, 8]) {
      const store = await open()
      const handle = commandHandler({ store, decider })
      await lifecycles(handle, 50, 1) // warm-up, as the harness does
      const seconds = await lifecycles(handle, n, clients)
      line(`${name}, ${clients} client${clients === 1 ? '' : 's'}`, 4 * n, 'commands', seconds)
      await store.close()
    }
    const store = await open()
    await longStream(name, store)
    await store.close()
  }
} finally {
  await postgres?.stop()
  rmSync(dir, { recursive: true, force: true })
}
