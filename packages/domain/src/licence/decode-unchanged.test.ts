// The fast path of decoding (rule-codecs.ts): the command and event codecs' `is` holds for exactly
// what their `decode` returns unchanged, so `decodeUnchanged` — what parseCommand and decodeEvent
// use — answers every input as a full decode would. Checked on commands and events of random valid
// histories, on the invalid commands of the testing arbitraries, and on both with a random edit: an
// unknown member, a member removed, a set reordered or repeated, a value swapped for another.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { historyArb, invalidCommandArb } from '../testing/index.js'
import { commandCodecs, parseCommand } from './commands.js'
import { decodeEvent, eventCodecs } from './events.js'
import { decodeUnchanged } from './rule-codecs.js'

type Json = unknown

/** Every object and array in `value`, with the way to reach it. */
const containers = (value: Json): ReadonlyArray<object> =>
  typeof value === 'object' && value !== null ? [value, ...Object.values(value).flatMap(containers)] : []

const replacements: ReadonlyArray<Json> = [
  'A',
  'D',
  'C1',
  'B2',
  'A1',
  '',
  null,
  0,
  1.5,
  true,
  '2026-01-01',
  [],
  {},
]

/** One random edit of a deep copy of `value`. */
const editArb = (value: Json): fc.Arbitrary<Json> =>
  fc
    .tuple(
      fc.nat(),
      fc.nat(),
      fc.constantFrom('add', 'remove', 'reverse', 'repeat', 'replace'),
      fc.constantFrom(...replacements),
    )
    .map(([at, member, edit, replacement]) => {
      const copy = structuredClone(value)
      const all = containers(copy)
      if (all.length === 0) return copy
      const target = all[at % all.length] as Record<string, unknown>
      const list = Array.isArray(target) ? (target as unknown[]) : undefined
      const keys = Object.keys(target)
      const key = keys[member % Math.max(1, keys.length)]
      if (edit === 'add') {
        if (list !== undefined) list.push(replacement)
        else target.extra = replacement
      } else if (key === undefined) return copy
      else if (edit === 'remove') {
        if (list !== undefined) list.splice(Number(key), 1)
        else delete target[key]
      } else if (edit === 'reverse' && list !== undefined) list.reverse()
      else if (edit === 'repeat' && list !== undefined) list.push(list[0])
      else target[key] = replacement
      return copy
    })

const answersAsDecode = (codec: t.Type<unknown, unknown, unknown>, value: Json): void => {
  const fast = decodeUnchanged(codec, value)
  const full = codec.decode(value)
  expect(E.isRight(fast)).toBe(E.isRight(full))
  if (E.isRight(fast) && E.isRight(full)) expect(fast.right).toEqual(full.right)
  if (codec.is(value)) expect(full).toEqual(E.right(value))
}

type Codecs = Readonly<Record<string, t.Type<unknown, unknown, unknown>>>

/** Every value of `values`, and an edit of it, decodes by the codec its `type` names as a full decode would. */
const answersAsDecodeOf = (values: fc.Arbitrary<Json>, codecs: Codecs) =>
  fc.assert(
    fc.property(
      values.chain((value) => fc.oneof(fc.constant(value), editArb(value))),
      (value) => {
        // An edit may have broken the type itself, which is refused before any codec.
        const type = String((value as { type?: unknown }).type)
        if (Object.hasOwn(codecs, type))
          answersAsDecode(codecs[type] as t.Type<unknown, unknown, unknown>, value)
      },
    ),
    { numRuns: 400 },
  )

const commandsArb = fc.oneof(
  historyArb({ maxSteps: 12 }).chain((history) =>
    fc.constantFrom(...history.entries.map((entry) => entry.command)),
  ),
  invalidCommandArb.map((invalid) => invalid.json),
)
const eventsArb = historyArb({ maxSteps: 12 })
  .filter((history) => history.events.length > 0)
  .chain((history) => fc.constantFrom(...history.events.map(({ type, data }) => ({ type, data }))))

describe('decodeUnchanged', () => {
  it('answers every command, edited or not, as a full decode would', () => {
    answersAsDecodeOf(commandsArb, commandCodecs as unknown as Codecs)
  })

  it('answers every event, edited or not, as a full decode would', () => {
    answersAsDecodeOf(eventsArb, eventCodecs as unknown as Codecs)
  })

  it('strips an unknown member and sorts a set, as before: a value decode would change is decoded', () => {
    const [command] = fc.sample(
      historyArb({ maxSteps: 0 }).map((history) => history.record),
      { numRuns: 1, seed: 7 },
    )
    const edited = structuredClone(command) as unknown as { data: { classes: string[]; extra?: number } }
    edited.data.classes = ['C1', 'B2']
    edited.data.extra = 1
    const parsed = parseCommand(edited)
    expect(E.isRight(parsed) && parsed.right.data).toMatchObject({ classes: ['B2', 'C1'] })
    expect(E.isRight(parsed) && Object.hasOwn(parsed.right.data, 'extra')).toBe(false)
    const applied = { type: 'ELicenceApplied', data: { applicationId: 'a', extra: 1 } }
    expect(E.isLeft(decodeEvent(applied))).toBe(true)
  })
})
