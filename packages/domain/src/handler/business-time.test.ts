// Rule 10 in the handler and the error order for reused ids (DESIGN §3), as properties: random
// histories are sent through a real handler on the in-memory store, then one more random command,
// by any role, stated at a random distance from the handler's clock, or under an id already used.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import type { LicenceCommand } from '../licence/commands.js'
import { licenceDecider } from '../licence/decider.js'
import { type ActorRole, actorRoles } from '../licence/values.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import { streamIdFor } from '../store/streams.js'
import { commandForStep, formatInstant, historyArb, stepArb } from '../testing/index.js'
import { type CommandHandler, commandHandler, defaultMaxClockSkewMs } from './handler.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const minuteMs = 60_000
const runs = { numRuns: 120 }

// DESIGN §3's table, written out here as the oracle: who may send each command.
const mayIssue: Readonly<Record<LicenceCommand['type'], ReadonlyArray<ActorRole>>> = {
  RecordLicence: ['registry'],
  ApplyForELicence: ['holder'],
  ReviewApplication: ['reviewer', 'system'],
  RejectPhoto: ['reviewer'],
  SubmitPhoto: ['holder'],
  WithdrawApplication: ['holder'],
  RenewLicence: ['registry'],
  ChangeLicenceStatus: ['registry'],
}
const holderCommands: ReadonlyArray<LicenceCommand['type']> = [
  'ApplyForELicence',
  'SubmitPhoto',
  'WithdrawApplication',
]

/** A history sent through a handler whose clock reads each command's own instant. */
const storedHistory = async (history: {
  readonly entries: ReadonlyArray<{ readonly command: LicenceCommand }>
}) => {
  const store = inMemoryEventStore()
  let nowMs = 0
  const clock = () => new Date(nowMs)
  const handle = commandHandler({ store, decider, clock })
  for (const { command } of history.entries) {
    nowMs = Date.parse(command.metadata.at)
    await handle(command)
  }
  return { store, setNow: (ms: number) => (nowMs = ms), clock }
}

const lastInstantMs = (history: { readonly entries: ReadonlyArray<{ readonly command: LicenceCommand }> }) =>
  Math.max(...history.entries.map((entry) => Date.parse(entry.command.metadata.at)))

/** One more command after the history: a random step, sent by a random role (or the step's own). */
const nextCommandArb = fc.record({
  history: historyArb({ maxSteps: 10 }),
  step: stepArb,
  role: fc.option(fc.constantFrom(...actorRoles), { nil: undefined }),
  // As often within the skew as beyond it: a uniform draw over three days almost never fell within.
  aheadMs: fc.oneof(
    fc.integer({ min: -10 * minuteMs, max: 0 }),
    fc.integer({ min: 1, max: 3 * 24 * 60 * minuteMs }),
  ),
  skewMs: fc.option(fc.integer({ min: 0, max: 30 * minuteMs }), { nil: undefined }),
})

/**
 * Runs `property` in rounds until every outcome in `seen` has been counted at least once (at most
 * `maxRounds`), so the check that no branch went untested does not hang on one random seed: some
 * outcomes (a holder's command by a stranger) come up in only a few percent of runs.
 */
const assertSeeingEach = async <Ts>(
  seen: Readonly<Record<string, number>>,
  property: fc.IAsyncProperty<Ts>,
  maxRounds = 5,
): Promise<void> => {
  const unseen = () => Object.keys(seen).filter((outcome) => seen[outcome] === 0)
  for (let round = 0; round < maxRounds && unseen().length > 0; round++) await fc.assert(property, runs)
  expect(unseen()).toEqual([])
}

const withRole = (command: LicenceCommand, role: ActorRole | undefined): LicenceCommand =>
  role === undefined
    ? command
    : ({
        ...command,
        metadata: { ...command.metadata, actor: { ...command.metadata.actor, role } },
      } as LicenceCommand)

const logOf = async (stored: { readonly store: ReturnType<typeof inMemoryEventStore> }) =>
  await stored.store.readAll({ after: 0, limit: 10_000 })

describe('rule 10 in the handler: no role can state a time ahead of the clock', () => {
  it('refuses a command stated later than clock + skew with instant-in-future, after every rule, appending nothing', async () => {
    const seen = { inFuture: 0, refusedFirst: 0, applied: 0 }
    await assertSeeingEach(
      seen,
      fc.asyncProperty(nextCommandArb, async ({ history, step, role, aheadMs, skewMs }) => {
        const { record } = history
        const stored = await storedHistory(history)
        const nowMs = lastInstantMs(history)
        stored.setNow(nowMs)
        const skew = skewMs ?? defaultMaxClockSkewMs
        const handle: CommandHandler = commandHandler({
          store: stored.store,
          decider,
          clock: stored.clock,
          ...(skewMs === undefined ? {} : { maxClockSkewMs: skewMs }),
        })
        const atMs = nowMs + skew + aheadMs
        const command = withRole(
          commandForStep(step, history.state, record, atMs, history.entries.length + 1),
          role,
        )
        const pure = decider.decide(command, history.state)
        const before = await logOf(stored)
        const outcome = await handle({
          ...command,
          metadata: { ...command.metadata, at: formatInstant(atMs) },
        })
        if (E.isLeft(pure)) {
          expect(E.isLeft(outcome) && outcome.left.code).toBe(pure.left.code)
          seen.refusedFirst++
        } else if (atMs > nowMs + skew) {
          expect(E.isLeft(outcome) && outcome.left.code).toBe('instant-in-future')
          expect(await logOf(stored)).toEqual(before)
          seen.inFuture++
        } else {
          expect(E.isRight(outcome)).toBe(true)
          seen.applied++
        }
      }),
    )
  })

  it('a command the transport stamped is never refused for time running backwards: it happens at the last instant when that is later', async () => {
    // The history's clock runs ahead of the handler's by up to the skew (a registry's fast clock), or
    // behind it; the next command is stamped with the handler's clock: decided as if stated at the later of
    // the two, exactly; the same command stated (not stamped) is refused as before history.
    const seen = { lifted: 0, asStamped: 0, refusedUnstamped: 0 }
    await assertSeeingEach(
      seen,
      fc.asyncProperty(
        nextCommandArb,
        fc.integer({ min: -defaultMaxClockSkewMs, max: defaultMaxClockSkewMs }),
        async ({ history, step, role }, leadMs) => {
          const { record } = history
          if (history.state._tag !== 'Recorded') return
          const stored = await storedHistory(history)
          const lastMs = Date.parse(history.state.lastAt ?? record.metadata.at)
          const nowMs = lastMs - leadMs
          stored.setNow(nowMs)
          const handle = commandHandler({ store: stored.store, decider, clock: stored.clock })
          const stamped = withRole(
            commandForStep(step, history.state, record, nowMs, history.entries.length + 1),
            role,
          )
          const effective = Math.max(nowMs, lastMs)
          const pure = decider.decide(
            { ...stamped, metadata: { ...stamped.metadata, at: formatInstant(effective) } } as LicenceCommand,
            history.state,
          )
          const outcome = await handle(stamped, { stampedAt: true })
          if (E.isLeft(pure)) {
            expect(E.isLeft(outcome) && outcome.left.code).toBe(pure.left.code)
            return
          }
          expect(E.isRight(outcome)).toBe(true)
          if (E.isLeft(outcome)) return
          for (const event of outcome.right.events) expect(Date.parse(event.metadata.at)).toBe(effective)
          if (effective > nowMs) seen.lifted++
          else seen.asStamped++
          if (effective > nowMs && Date.parse(formatInstant(nowMs)) < lastMs) {
            // Stated at the handler's clock by a sender, the same command would rewrite history.
            const again = withRole(
              commandForStep(step, history.state, record, nowMs, history.entries.length + 2),
              role,
            )
            const fresh = await storedHistory(history)
            fresh.setNow(nowMs)
            const stated = await commandHandler({ store: fresh.store, decider, clock: fresh.clock })(again)
            expect(E.isLeft(stated) && stated.left.code).toBe('instant-before-history')
            seen.refusedUnstamped++
          }
        },
      ),
    )
  })

  it('so no reviewer or job issues before reviewDueAt by claiming a later time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<ActorRole>('reviewer', 'system'),
        fc.integer({ min: 3 * minuteMs, max: 23 * 60 * minuteMs }),
        async (role, beforeDueMs) => {
          const licenceNumber = '11010519491231002X'
          const store = inMemoryEventStore()
          let nowMs = Date.parse('2026-03-02T01:00:00Z')
          const handle = commandHandler({ store, decider, clock: () => new Date(nowMs) })
          const recorded = await handle({
            type: 'RecordLicence',
            data: {
              licenceNumber,
              holder: { accountId: 'acct-zhang', name: '张三' },
              classes: ['C1'],
              validFrom: '2020-03-15',
              validUntil: 'long-term',
              authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
              statuses: ['A'],
              photoOnFile: true,
            },
            metadata: {
              commandId: crypto.randomUUID(),
              at: formatInstant(nowMs),
              actor: { role: 'registry', id: 'registry-1' },
            },
          })
          expect(E.isRight(recorded)).toBe(true)
          nowMs += minuteMs
          const holder = { role: 'holder', id: 'acct-zhang' }
          const applied = await handle({
            type: 'ApplyForELicence',
            data: {
              licenceNumber,
              applicationId: 'app-1',
              declaredValidFrom: '2020-03-15',
              faceCheck: { passed: true },
            },
            metadata: { commandId: crypto.randomUUID(), at: formatInstant(nowMs), actor: holder },
          })
          if (E.isLeft(applied)) throw new Error(applied.left.message)
          const due =
            (applied.right.events[0]?.data as { reviewDueAt: string } | undefined)?.reviewDueAt ?? ''
          nowMs = Date.parse(due) - beforeDueMs
          const review = await handle({
            type: 'ReviewApplication',
            data: { licenceNumber, applicationId: 'app-1' },
            metadata: { commandId: crypto.randomUUID(), at: due, actor: { role, id: `${role}-1` } },
          })
          expect(E.isLeft(review) && review.left.code).toBe('instant-in-future')
          const stream = await store.readStream(streamIdFor(licenceNumber))
          expect(E.isRight(stream) && stream.right.events.map((event) => event.type)).toEqual([
            'LicenceRecorded',
            'ELicenceApplied',
          ])
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('the error order holds for reused command ids', () => {
  it('a sender who may not act gets forbidden or not-licence-holder; one who may gets command-id-reused', async () => {
    const seen = { forbidden: 0, notHolder: 0, reused: 0 }
    await assertSeeingEach(
      seen,
      fc.asyncProperty(
        nextCommandArb,
        fc.nat(),
        fc.boolean(),
        async ({ history, step, role }, pick, stranger) => {
          const { record } = history
          if (history.state._tag !== 'Recorded') return
          const stored = await storedHistory(history)
          stored.setNow(lastInstantMs(history))
          const handle = commandHandler({ store: stored.store, decider, clock: stored.clock })
          const used = history.entries.filter(
            (entry) => E.isRight(entry.outcome) && entry.outcome.right.length > 0,
          )
          const taken = used[pick % used.length]?.command.metadata.commandId ?? record.metadata.commandId
          const fresh = withRole(
            commandForStep(step, history.state, record, lastInstantMs(history), history.entries.length + 1),
            role,
          )
          const actor = stranger ? { ...fresh.metadata.actor, id: 'acct-stranger' } : fresh.metadata.actor
          const reusing = {
            ...fresh,
            metadata: { ...fresh.metadata, commandId: taken, actor },
          } as LicenceCommand
          const original = used.find((entry) => entry.command.metadata.commandId === taken)?.command
          // The very same command re-sent is a replay, not a reuse.
          if (
            JSON.stringify([original?.type, original?.data, original?.metadata.actor]) ===
            JSON.stringify([reusing.type, reusing.data, actor])
          )
            return
          const before = await logOf(stored)
          const outcome = await handle(reusing)
          const expected = !mayIssue[reusing.type].includes(actor.role)
            ? 'forbidden'
            : holderCommands.includes(reusing.type) && actor.id !== history.state.licence.holder.accountId
              ? 'not-licence-holder'
              : 'command-id-reused'
          expect(E.isLeft(outcome) && outcome.left.code).toBe(expected)
          expect(await logOf(stored)).toEqual(before)
          if (expected === 'forbidden') seen.forbidden++
          else if (expected === 'not-licence-holder') seen.notHolder++
          else seen.reused++
        },
      ),
    )
  })
})
