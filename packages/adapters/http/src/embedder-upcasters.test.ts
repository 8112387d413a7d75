// An embedder's upcasters apply to every reader of history or to none (DESIGN §4, "Reading
// history"): the embedder binds them once, in a `storedEventDecoder`, and every reader it hands that
// decoder to — the command handler, the projection runner, as-of views, partitioned replay, the
// auditor and the HTTP API — reads its old events alike. Before the one decoder, the HTTP reads and
// partitioned replay decoded with the built-in upcasters whatever the embedder had configured.
import {
  chinaMainlandCalendar,
  commandHandler,
  type EventMetadataDraft,
  inMemoryEventStore,
  licenceDecider,
  type NewEvent,
  type StoredEventDecoder,
  storedEventDecoder,
  type Upcaster,
  upcasters,
} from '@elicence/domain'
import {
  auditHistory,
  inMemoryReadModelStore,
  projectionRunner,
  readLicenceView,
  replayPartition,
} from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { createServer } from './server.js'
import { testIssuerKeys, testTokens, testTokenTable } from './test-support/test-server.js'

const licenceNumber = '11010519491231002X'
const streamId = `licence-${licenceNumber}`

const metadata = (n: number): EventMetadataDraft => ({
  eventId: `event-${n}`,
  commandId: `00000000-0000-4000-9000-00000000000${n}`,
  commandHash: 'a'.repeat(64),
  actor: { role: 'registry', id: 'registry-1' } as EventMetadataDraft['actor'],
  at: '2026-09-30T10:00:00+08:00',
  recordedAt: '2026-09-30T02:00:00.000Z',
  schemaVersion: 1,
  rulesVersion: '2026.11.1',
})

/** The embedder's schema 1 wrote a licence's classes as one space-separated string. */
const recordedByTheEmbedder: NewEvent = {
  type: 'LicenceRecorded',
  data: {
    licenceNumber,
    holder: { accountId: 'acct-holder', name: '张三' },
    classes: 'B2 C1',
    validFrom: '2020-03-15',
    validUntil: 'long-term',
    authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
    statuses: ['A'],
    photoOnFile: true,
  },
  metadata: metadata(1),
}

const splitClasses: Upcaster = (event) =>
  event.type === 'LicenceRecorded' && typeof (event.data as { classes?: unknown }).classes === 'string'
    ? {
        type: event.type,
        data: { ...(event.data as object), classes: (event.data as { classes: string }).classes.split(' ') },
      }
    : event

const builtIn = upcasters[1] as Upcaster
const embedderDecoder = storedEventDecoder({ upcasters: { 1: (event) => builtIn(splitClasses(event)) } })

const storeWithOldHistory = async () => {
  const store = inMemoryEventStore()
  const appended = await store.appendToStream(streamId, 'no-stream', [recordedByTheEmbedder])
  if (E.isLeft(appended)) throw new Error(appended.left.message)
  return store
}

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })

/** Each reader, handed a decoder (or none: the built-in one), says whether it read the history. */
const readers: ReadonlyArray<
  readonly [string, (decoder: StoredEventDecoder | undefined) => Promise<E.Either<string, unknown>>]
> = [
  [
    'the command handler',
    async (decoder) => {
      const handle = commandHandler({
        store: await storeWithOldHistory(),
        decider,
        ...(decoder && { decoder }),
      })
      const outcome = await handle({
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: ['B'] },
        metadata: {
          commandId: crypto.randomUUID(),
          at: '2026-10-01T10:00:00+08:00',
          actor: { role: 'registry', id: 'registry-1' },
        },
      })
      return E.mapLeft((error: { message: string }) => error.message)(outcome)
    },
  ],
  [
    'the projection runner',
    async (decoder) => {
      const runner = projectionRunner({
        events: await storeWithOldHistory(),
        readModels: inMemoryReadModelStore(),
        ...(decoder && { decoder }),
      })
      return E.mapLeft((error: { message: string }) => error.message)(await runner.catchUp())
    },
  ],
  [
    'the as-of view',
    async (decoder) => {
      const view = await readLicenceView(await storeWithOldHistory(), licenceNumber, {
        asOf: '2026-10-01T00:00:00Z',
        ...(decoder && { decoder }),
      })
      return E.mapLeft((error: { message: string }) => error.message)(view)
    },
  ],
  [
    'partitioned replay',
    async (decoder) => {
      const replayed = await replayPartition(await storeWithOldHistory(), {
        partition: { index: 0, count: 1 },
        ...(decoder && { decoder }),
      })
      return E.mapLeft((error: { message: string }) => error.message)(replayed)
    },
  ],
  [
    'the auditor',
    async (decoder) => {
      const read = await (await storeWithOldHistory()).readAll({ after: 0, limit: 10 })
      if (E.isLeft(read)) return E.left(read.left.message)
      const report = await auditHistory(read.right.events, { ...(decoder && { decoder }) })
      return report.counts.anomalies === 0 ? E.right(report) : E.left(JSON.stringify(report.anomalies))
    },
  ],
  ...(['', '/verification'] as const).map(
    (path) =>
      [
        `HTTP GET /licences/:licenceNumber${path}`,
        async (decoder: StoredEventDecoder | undefined) => {
          const app = createServer({
            store: await storeWithOldHistory(),
            decider,
            tokens: testTokenTable(),
            issuerKeys: await testIssuerKeys(),
            ...(decoder && { decoder }),
          })
          try {
            const response = await app.inject({
              method: 'GET',
              url: `/licences/${licenceNumber}${path}`,
              headers: { authorization: `Bearer ${testTokens.auditor}` },
            })
            return response.statusCode === 200 ? E.right(response.json()) : E.left(response.body)
          } finally {
            await app.close()
          }
        },
      ] as const,
  ),
]

describe("an embedder's upcasters", () => {
  it.each(readers)('apply to %s', async (_name, read) => {
    const read_ = await read(embedderDecoder)
    expect(E.isRight(read_) ? 'read' : read_.left).toBe('read')
  })
  // The other half of "everywhere or nowhere", and what shows each case above can fail.
  it.each(readers)('are needed by %s: the built-in decoder refuses the old event', async (_name, read) => {
    const read_ = await read(undefined)
    expect(E.isLeft(read_) && read_.left).toMatch(/corrupt|classes/)
  })
})
