/**
 * Conformance cases for the command handler on a store: idempotency by `commandId` (a re-sent
 * command returns its first outcome and appends nothing, also at the same moment and after a
 * restart), a reused id refused, racing commands on one licence each appended once or refused with
 * `concurrency-conflict`, and a stored event that does not decode stopping the read with
 * `corrupt-event` naming its stream and version. Uses the real decider and calendar.
 * Registered by `eventStoreConformance`, not used alone.
 *
 * @example
 * registerHandlerCases({ open, reopen, tamper })
 */
import * as E from 'fp-ts/lib/Either.js'
import { expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import type { HandlerError } from '../handler/errors.js'
import { type CommandOutcome, commandHandler } from '../handler/handler.js'
import { currentSchemaVersion } from '../history/decoder.js'
import { licenceDecider } from '../licence/decider.js'
import { citizenIdCheckCharacter } from '../licence/values.js'
import type { EventStore } from '../store/port.js'
import { streamIdFor } from '../store/streams.js'
import {
  type ConformanceContext,
  eventIds,
  expectSoundStream,
  newEvent,
  readWholeLog,
  succeeded,
} from './conformance-context.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const handlerOn = (store: EventStore) => commandHandler({ store, decider })

/** A valid citizen ID number (check character and all) per serial, born 1990-01-01 in Beijing. */
const licenceNumberFor = (serial: number): string => {
  const first17 = `11010519900101${String(serial % 1000).padStart(3, '0')}`
  return `${first17}${citizenIdCheckCharacter(first17)}`
}

const registry = { role: 'registry', id: 'registry-bj' }
const authority = { code: '京A', name: '北京市公安局公安交通管理局' }

interface CommandJson {
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
  readonly metadata: { readonly commandId: string; readonly at: string; readonly actor: object }
}

const commandJson = (
  type: string,
  data: Record<string, unknown>,
  actor: object,
  at: string,
): CommandJson => ({
  type,
  data,
  metadata: { commandId: crypto.randomUUID(), at, actor },
})

// 2026-03-02 is a Monday: the review of an application made that morning is due the next morning.
const recordLicence = (licenceNumber: string) =>
  commandJson(
    'RecordLicence',
    {
      licenceNumber,
      holder: { accountId: `acct-${licenceNumber}`, name: '张三' },
      classes: ['C1'],
      validFrom: '2020-01-01',
      validUntil: '2030-01-01',
      authority,
      statuses: ['A'],
      photoOnFile: true,
    },
    registry,
    '2026-03-02T09:00:00+08:00',
  )

const applyForELicence = (licenceNumber: string, applicationId: string) =>
  commandJson(
    'ApplyForELicence',
    { licenceNumber, applicationId, declaredValidFrom: '2020-01-01', faceCheck: { passed: true } },
    { role: 'holder', id: `acct-${licenceNumber}` },
    '2026-03-02T10:00:00+08:00',
  )

const reviewApplication = (licenceNumber: string, applicationId: string) =>
  commandJson(
    'ReviewApplication',
    { licenceNumber, applicationId },
    { role: 'system', id: 'review-job' },
    '2026-03-10T09:00:00+08:00',
  )

const renewLicence = (licenceNumber: string, validUntil: string) =>
  commandJson(
    'RenewLicence',
    { licenceNumber, classes: ['C1'], validFrom: '2020-01-01', validUntil, authority },
    registry,
    '2026-03-11T09:00:00+08:00',
  )

const handled = (result: E.Either<HandlerError, CommandOutcome>): CommandOutcome => {
  if (E.isLeft(result))
    throw new Error(`expected the command to apply, got ${result.left.code}: ${result.left.message}`)
  return result.right
}

const refused = (result: E.Either<HandlerError, CommandOutcome>): HandlerError => {
  if (E.isRight(result)) throw new Error('expected the command to be refused, it applied')
  return result.left
}

export const registerHandlerCases = ({ open, reopen, tamper }: ConformanceContext): void => {
  it('handler: a re-sent command returns its first outcome, replayed, and appends nothing', async () => {
    const store = await open()
    const handle = handlerOn(store)
    const licenceNumber = licenceNumberFor(1)
    const commands = [
      recordLicence(licenceNumber),
      applyForELicence(licenceNumber, 'app-1'),
      reviewApplication(licenceNumber, 'app-1'),
      renewLicence(licenceNumber, '2031-01-01'),
    ]
    const outcomes: CommandOutcome[] = []
    for (const command of commands) outcomes.push(handled(await handle(command)))
    expect(outcomes.map((outcome) => outcome.events.map((event) => event.type))).toEqual([
      ['LicenceRecorded'],
      ['ELicenceApplied'],
      ['ELicenceIssued'],
      ['LicenceRenewed', 'ELicenceInvalidated'],
    ])
    expect(outcomes.map((outcome) => [outcome.version, outcome.replayed])).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [4, false],
    ])
    commands.forEach((command, index) => {
      for (const event of outcomes[index]?.events ?? []) {
        expect(event.metadata).toMatchObject({ ...command.metadata, schemaVersion: currentSchemaVersion })
      }
    })
    const log = await readWholeLog(store, 100)

    for (const [index, command] of commands.entries()) {
      expect(handled(await handle(command))).toEqual({ ...outcomes[index], replayed: true })
    }
    // A transport that stamps the time may re-send the same command with a later `at`.
    const restamped = {
      ...commands[1],
      metadata: { ...commands[1]?.metadata, at: '2026-03-12T09:00:00+08:00' },
    }
    expect(handled(await handle(restamped))).toEqual({ ...outcomes[1], replayed: true })
    // The same id in upper case is the same UUID (RFC 9562): replayed, not applied again.
    const shouted = {
      ...commands[3],
      metadata: {
        ...commands[3]?.metadata,
        commandId: String(commands[3]?.metadata.commandId).toUpperCase(),
      },
    }
    expect(handled(await handle(shouted))).toEqual({ ...outcomes[3], replayed: true })
    expect(await readWholeLog(store, 100)).toEqual(log)
    expectSoundStream(succeeded(await store.readStream(streamIdFor(licenceNumber))).events)
  })

  it('handler: a commandId reused for a different command is refused with command-id-reused, after who may act', async () => {
    const store = await open()
    const handle = handlerOn(store)
    const licenceNumber = licenceNumberFor(2)
    const record = recordLicence(licenceNumber)
    handled(await handle(record))
    const log = await readWholeLog(store, 100)

    const otherHolder = {
      ...record,
      data: { ...record.data, holder: { accountId: 'acct-other', name: '李四' } },
    }
    expect(refused(await handle(otherHolder)).code).toBe('command-id-reused')
    const apply = applyForELicence(licenceNumber, 'app-1')
    // The holder may act on the licence, so learns that the id is taken.
    const holderReusing = { ...apply, metadata: { ...apply.metadata, commandId: record.metadata.commandId } }
    expect(refused(await handle(holderReusing)).code).toBe('command-id-reused')
    // The error order holds for reused ids: who may not act learns that, not that the id was used.
    const registryApplying = { ...apply, metadata: record.metadata }
    expect(refused(await handle(registryApplying)).code).toBe('forbidden')
    const holderRecording = { ...record, metadata: { ...record.metadata, actor: apply.metadata.actor } }
    expect(refused(await handle(holderRecording)).code).toBe('forbidden')
    handled(await handle(apply))
    const strangerResending = {
      ...apply,
      metadata: { ...apply.metadata, actor: { role: 'holder', id: 'acct-stranger' } },
    }
    expect(refused(await handle(strangerResending)).code).toBe('not-licence-holder')
    expect(handled(await handle(apply)).replayed).toBe(true)
    expect((await readWholeLog(store, 100)).length).toBe(log.length + 1)
  })

  it('handler: the same command sent several times at once is appended once', async () => {
    const store = await open()
    const handle = handlerOn(store)
    const record = recordLicence(licenceNumberFor(3))
    const outcomes = (await Promise.all(Array.from({ length: 4 }, () => handle(record)))).map(handled)
    const first = outcomes.filter((outcome) => !outcome.replayed)
    expect(first).toHaveLength(1)
    for (const outcome of outcomes) expect(outcome.events).toEqual(first[0]?.events)
    expect(await readWholeLog(store, 100)).toHaveLength(1)
  })

  it('handler: racing commands on one licence are each appended once (a store with a write lock: all of them)', async () => {
    const store = await open()
    const handle = handlerOn(store)
    const licenceNumber = licenceNumberFor(4)
    handled(await handle(recordLicence(licenceNumber)))
    const renewals = Array.from({ length: 8 }, (_, index) =>
      renewLicence(licenceNumber, `2031-01-0${index + 1}`),
    )
    const outcomes = await Promise.all(renewals.map((command) => handle(command)))

    const conflicted = renewals.filter((_, index) => {
      const outcome = outcomes[index]
      if (outcome === undefined || E.isRight(outcome)) return false
      expect(outcome.left.code).toBe('concurrency-conflict')
      return true
    })
    // Deciding under the lock, writers queue: no command fails for contention alone.
    if (store.decideAndAppend !== undefined) expect(conflicted).toEqual([])
    for (const outcome of outcomes) if (E.isRight(outcome)) expect(outcome.right.replayed).toBe(false)
    // A refused command changed nothing, so sending it again applies it.
    for (const command of conflicted) expect(handled(await handle(command)).replayed).toBe(false)
    for (const command of renewals) expect(handled(await handle(command)).replayed).toBe(true)

    const stream = succeeded(await store.readStream(streamIdFor(licenceNumber))).events
    expect(stream).toHaveLength(1 + renewals.length)
    const commandIds = stream.map((event) => event.metadata.commandId)
    for (const command of renewals) {
      expect(commandIds.filter((id) => id === command.metadata.commandId)).toHaveLength(1)
    }
    expectSoundStream(stream)
  })

  it('handler: two handlers on one store (two processes) each see the other’s events before deciding', async () => {
    const store = await open()
    const first = handlerOn(store)
    const second = handlerOn(store)
    const licenceNumber = licenceNumberFor(7)
    handled(await first(recordLicence(licenceNumber)))
    handled(await second(applyForELicence(licenceNumber, 'app-1')))
    // `first` kept the state at version 0; the application `second` made is read before deciding.
    expect(refused(await first(applyForELicence(licenceNumber, 'app-2'))).code).toBe('application-open')
    const reviewed = handled(await first(reviewApplication(licenceNumber, 'app-1')))
    expect(reviewed.events.map((event) => event.type)).toEqual(['ELicenceIssued'])
    expect(handled(await second(renewLicence(licenceNumber, '2031-01-01'))).version).toBe(4)
    await expectSoundStream(succeeded(await store.readStream(streamIdFor(licenceNumber))).events)
  })

  it('handler: an event that does not decode stops the read with corrupt-event naming stream and version', async () => {
    const store = await open()
    const handle = handlerOn(store)
    const bad = [
      newEvent('LicenceRecorded', { licenceNumber: 'not-a-licence-number' }),
      newEvent('ApplicationWithdrawn', { applicationId: '' }),
      newEvent('LicenceTeleported', { to: 'the moon' }),
      newEvent(
        'ApplicationWithdrawn',
        { applicationId: 'app-1', withdrawnAt: '2026-03-02T02:00:00Z' },
        {
          schemaVersion: currentSchemaVersion + 1,
        },
      ),
    ]
    for (const [index, event] of bad.entries()) {
      const licenceNumber = licenceNumberFor(10 + index)
      const streamId = streamIdFor(licenceNumber)
      // The first bad event is the stream's first; the others follow a good LicenceRecorded.
      if (index > 0) handled(await handle(recordLicence(licenceNumber)))
      const version = index > 0 ? 1 : 0
      succeeded(await store.appendToStream(streamId, 'any', [event]))
      // The store keeps bodies as given; decoding is the handler's.
      expect(succeeded(await store.readStream(streamId)).events[version]?.data).toEqual(event.data)

      const error = refused(await handle(applyForELicence(licenceNumber, 'app-1')))
      expect(error.code).toBe('corrupt-event')
      expect(error.message).toContain(`${streamId}@${version}`)
      expect(succeeded(await store.readStream(streamId)).version).toBe(version)
    }
  })

  it.skipIf(reopen === undefined)(
    'handler: after a restart, a re-sent command is still replayed and a reused id still refused',
    async () => {
      const store = await open()
      const licenceNumber = licenceNumberFor(5)
      const before = handlerOn(store)
      handled(await before(recordLicence(licenceNumber)))
      const apply = applyForELicence(licenceNumber, 'app-1')
      const applied = handled(await before(apply))
      await store.close()

      const reopened = await (reopen as NonNullable<typeof reopen>)(store)
      const after = handlerOn(reopened)
      expect(handled(await after(apply))).toEqual({ ...applied, replayed: true })
      const reused = { ...apply, data: { ...apply.data, applicationId: 'app-2' } }
      expect(refused(await after(reused)).code).toBe('command-id-reused')
      const reviewed = handled(await after(reviewApplication(licenceNumber, 'app-1')))
      expect([reviewed.version, reviewed.replayed]).toEqual([2, false])
      const stream = succeeded(await reopened.readStream(streamIdFor(licenceNumber))).events
      expect(eventIds(stream)).toEqual(
        eventIds([...(stream.slice(0, 1) ?? []), ...applied.events, ...reviewed.events]),
      )
      expectSoundStream(stream)
    },
  )

  it.skipIf(tamper === undefined)(
    'handler: an event edited behind the store into an undecodable shape stops the read with corrupt-event',
    async () => {
      const store = await open()
      const handle = handlerOn(store)
      const licenceNumber = licenceNumberFor(6)
      const streamId = streamIdFor(licenceNumber)
      handled(await handle(recordLicence(licenceNumber)))
      handled(await handle(applyForELicence(licenceNumber, 'app-1')))
      await (tamper as NonNullable<typeof tamper>)(store, {
        streamId,
        version: 0,
        data: { licenceNumber: 'tampered' },
      })

      // A handler that has folded the stream reads only what came after (the auditor re-reads it
      // all); one that has not, as after a restart, reads the edited event and stops.
      const restarted = handlerOn(store)
      const error = refused(await restarted(reviewApplication(licenceNumber, 'app-1')))
      expect(error.code).toBe('corrupt-event')
      expect(error.message).toContain(`${streamId}@0`)
    },
  )

  it.skipIf(tamper === undefined)(
    'handler: an event edited behind the store into another sound event is not decided on: its hash no longer matches',
    async () => {
      const store = await open()
      const handle = handlerOn(store)
      const licenceNumber = licenceNumberFor(7)
      const streamId = streamIdFor(licenceNumber)
      const recorded = recordLicence(licenceNumber)
      handled(await handle(recorded))
      handled(await handle(applyForELicence(licenceNumber, 'app-1')))
      // Still a LicenceRecorded the codecs accept: only the hash tells it was changed.
      await (tamper as NonNullable<typeof tamper>)(store, {
        streamId,
        version: 0,
        data: { ...recorded.data, classes: ['A1'] },
      })
      const restarted = handlerOn(store)
      const error = refused(await restarted(reviewApplication(licenceNumber, 'app-1')))
      expect(error.code).toBe('corrupt-event')
      expect(error.message).toMatch(new RegExp(`${streamId}@0: its hash does not match its content`))
      expect(succeeded(await store.readStream(streamId)).version).toBe(1)
    },
  )
}
