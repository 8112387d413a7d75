// Stored events are decoded on every read, through the schema upcasters: a schema-1 event (written
// before `reviewDueAt` recorded its calendar) is read in today's shape, and an event that does not
// decode stops the read with an error naming its stream and version.
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { commandHandler } from '../handler/handler.js'
import { licenceDecider } from '../licence/decider.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import type { EventMetadataDraft, NewEvent, StoredEvent } from '../store/port.js'
import { currentSchemaVersion, storedEventDecoder } from './decoder.js'

const licenceNumber = '11010519491231002X'
const streamId = `licence-${licenceNumber}`
const metadata = (schemaVersion: number, n: number): EventMetadataDraft => ({
  eventId: `00000000-0000-4000-8000-00000000000${n}`,
  commandId: `00000000-0000-4000-9000-00000000000${n}`,
  commandHash: 'a'.repeat(64),
  actor: { role: 'registry', id: 'registry-1' } as EventMetadataDraft['actor'],
  at: '2026-09-30T10:00:00+08:00',
  recordedAt: '2026-09-30T02:00:00.000Z',
  schemaVersion,
  rulesVersion: '2026.11.1',
})
const recorded: NewEvent = {
  type: 'LicenceRecorded',
  data: {
    licenceNumber,
    holder: { accountId: 'acct-1', name: '张三' },
    classes: ['C1'],
    validFrom: '2020-03-15',
    validUntil: 'long-term',
    authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
    statuses: ['A'],
    photoOnFile: true,
  },
  metadata: metadata(1, 1),
}
/** The shape schema 1 wrote: no `calendar` beside `reviewDueAt`. */
const appliedSchema1: NewEvent = {
  type: 'ELicenceApplied',
  data: {
    applicationId: 'app-1',
    declaredValidFrom: '2020-03-15',
    appliedAt: '2026-09-30T10:00:00+08:00',
    reviewDueAt: '2026-10-08T02:00:00.000Z',
  },
  metadata: metadata(1, 2),
}

const storeWith = async (events: ReadonlyArray<NewEvent>) => {
  const store = inMemoryEventStore()
  const appended = await store.appendToStream(streamId, 'no-stream', events)
  if (E.isLeft(appended)) throw new Error(appended.left.message)
  return { store, stored: appended.right.events }
}

/** A command about app-1 on the day its review falls due (by schema 1's record). */
const onTheDueDay = (type: string, actor: { readonly role: string; readonly id: string }) => ({
  type,
  data: { licenceNumber, applicationId: 'app-1' },
  metadata: { commandId: crypto.randomUUID(), at: '2026-10-08T10:00:00+08:00', actor },
})

describe('decoding stored events', () => {
  it('reads a schema-1 ELicenceApplied in the current shape, naming the calendar schema 1 implied', async () => {
    const { stored } = await storeWith([recorded, appliedSchema1])
    const decoded = storedEventDecoder().decode(stored[1] as StoredEvent)
    expect(E.isRight(decoded) && decoded.right.data).toEqual({
      ...(appliedSchema1.data as object),
      calendar: { id: 'cn-state-council', version: 'schema-1', fallback: false },
    })
    expect(currentSchemaVersion).toBe(2)
  })
  it('gives a sound event of the current schema as stored, and a copy where decoding or upcasting changes it', async () => {
    const current = { ...recorded, metadata: metadata(currentSchemaVersion, 1) }
    const { stored } = await storeWith([current, appliedSchema1])
    const decoder = storedEventDecoder()
    const sound = stored[0] as StoredEvent
    const decoded = decoder.decodeShaped(sound)
    expect(E.isRight(decoded) && decoded.right).toBe(sound)
    // Upcast: a new event in today's shape; the stored one is left as it was.
    const old = stored[1] as StoredEvent
    const oldText = JSON.stringify(old)
    const upcast = decoder.decodeShaped(old)
    expect(E.isRight(upcast) && upcast.right).not.toBe(old)
    expect(E.isRight(upcast) && upcast.right.data).toHaveProperty('calendar')
    expect(JSON.stringify(old)).toBe(oldText)
    // A set out of its canonical order decodes sorted, into a copy.
    const unsorted = { ...sound, data: { ...(sound.data as object), statuses: ['F', 'E'] } }
    const sorted = decoder.decodeShaped(unsorted)
    expect(E.isRight(sorted) && sorted.right).not.toBe(unsorted)
    expect(E.isRight(sorted) && sorted.right.data).toMatchObject({ statuses: ['E', 'F'] })
    expect(E.isRight(sorted) && { ...sorted.right, data: unsorted.data }).toEqual(unsorted)
    expect(unsorted.data.statuses).toEqual(['F', 'E'])
  })
  it('refuses data of the current schema with a member its event does not have, naming it', async () => {
    const { stored } = await storeWith([{ ...recorded, metadata: metadata(currentSchemaVersion, 1) }])
    const sound = stored[0] as StoredEvent & { data: { holder: object } }
    const decoder = storedEventDecoder()
    const cases: ReadonlyArray<[unknown, string]> = [
      [{ ...sound.data, extra: 1 }, 'data.extra'],
      [{ ...sound.data, holder: { ...sound.data.holder, nick: 'x' } }, 'data.holder.nick'],
    ]
    for (const [data, member] of cases)
      expect(decoder.decodeShaped({ ...sound, data })).toEqual(
        E.left(
          expect.objectContaining({
            code: 'corrupt-event',
            streamId: sound.streamId,
            version: sound.version,
            message: expect.stringMatching(
              new RegExp(`: LicenceRecorded has no member ${member.replaceAll('.', '\\.')}$`),
            ),
          }),
        ),
      )
  })
  it('lets the handler decide on a history that mixes schema versions', async () => {
    const { store } = await storeWith([recorded, appliedSchema1])
    const handle = commandHandler({ store, decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
    const outcome = await handle(onTheDueDay('ReviewApplication', { role: 'system', id: 'job' }))
    expect(
      E.isRight(outcome) && outcome.right.events.map((event) => [event.type, event.metadata.schemaVersion]),
    ).toEqual([['ELicenceIssued', currentSchemaVersion]])
  })
  it('uses the upcasters an embedder passes', async () => {
    const { store } = await storeWith([recorded, appliedSchema1])
    const handle = commandHandler({
      store,
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
      // An embedder whose schema-1 reviews were due a day later than recorded.
      decoder: storedEventDecoder({
        upcasters: {
          1: (event) =>
            event.type === 'ELicenceApplied'
              ? {
                  ...event,
                  data: {
                    ...(event.data as object),
                    reviewDueAt: '2026-10-09T02:00:00.000Z',
                    calendar: { id: 'x', version: '1', fallback: false },
                  },
                }
              : event,
        },
      }),
    })
    const outcome = await handle(onTheDueDay('ReviewApplication', { role: 'system', id: 'job' }))
    expect(E.isLeft(outcome) && outcome.left.code).toBe('review-not-due')
  })
  it('stops at an event from a newer schema, naming its stream and version', async () => {
    const { stored } = await storeWith([recorded, { ...appliedSchema1, metadata: metadata(3, 2) }])
    const decoded = storedEventDecoder().decode(stored[1] as StoredEvent)
    expect(E.isLeft(decoded) && decoded.left).toMatchObject({ code: 'corrupt-event', streamId, version: 1 })
  })
  it('stops the handler at an event that does not decode, and appends nothing', async () => {
    const broken = {
      ...appliedSchema1,
      data: { ...(appliedSchema1.data as object), reviewDueAt: 'tomorrow' },
      metadata: metadata(2, 2),
    }
    const { store } = await storeWith([recorded, broken])
    const handle = commandHandler({ store, decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
    const outcome = await handle(onTheDueDay('WithdrawApplication', { role: 'holder', id: 'acct-1' }))
    expect(E.isLeft(outcome) && outcome.left.code).toBe('corrupt-event')
    expect(E.isLeft(outcome) && outcome.left.message).toMatch(new RegExp(`${streamId}@1.*reviewDueAt`))
    const after = await store.readStream(streamId)
    expect(E.isRight(after) && after.right.version).toBe(1)
  })
  it.each([
    [
      'throws',
      () => {
        throw new Error('my upcaster bug')
      },
      /the upcaster from schema 1: threw my upcaster bug/,
    ],
    ['answers null', () => null as never, /the upcaster from schema 1: answered with no \{ type, data \}/],
  ])(
    'stops at an event its embedder’s upcaster %s on, naming stream and version, and so does the handler',
    async (_how, upcaster, said) => {
      const { store, stored } = await storeWith([recorded, appliedSchema1])
      const decoder = storedEventDecoder({ upcasters: { 1: upcaster } })
      const decoded = decoder.decode(stored[0] as StoredEvent)
      expect(E.isLeft(decoded) && decoded.left).toMatchObject({ code: 'corrupt-event', streamId, version: 0 })
      expect(E.isLeft(decoded) && decoded.left.message).toMatch(said)
      const handle = commandHandler({
        store,
        decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
        decoder,
      })
      const outcome = await handle(onTheDueDay('WithdrawApplication', { role: 'holder', id: 'acct-1' }))
      expect(E.isLeft(outcome) && outcome.left.code).toBe('corrupt-event')
      expect(E.isLeft(outcome) && outcome.left.message).toMatch(new RegExp(`${streamId}@0`))
    },
  )
})
