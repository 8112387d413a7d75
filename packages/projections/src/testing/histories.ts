/**
 * Random licence histories for property tests: fast-check generates a script of commands over a few
 * licences, and `runHistoryScript` (run-history.ts) sends them through the real command handler, so
 * every history is one the decider could have produced.
 *
 * @example
 * await fc.assert(fc.asyncProperty(historyScriptArbitrary(), async (script) => {
 *   const { events } = await runHistoryScript(script)
 *   …
 * }))
 */
import {
  citizenIdCheckCharacter,
  type DecodedStoredEvent,
  defaultStoredEventDecoder,
  type LicenceClass,
  type LicenceStatus,
  type PhotoDefect,
  type StoredEvent,
} from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'

export type HistoryAction =
  | { readonly kind: 'apply' }
  | { readonly kind: 'review' }
  | { readonly kind: 'reject-photo'; readonly reasons: ReadonlyArray<PhotoDefect> }
  | { readonly kind: 'submit-photo'; readonly defects: ReadonlyArray<PhotoDefect>; readonly ageDays: number }
  | { readonly kind: 'withdraw' }
  | {
      readonly kind: 'renew'
      readonly classes: ReadonlyArray<LicenceClass>
      readonly validYears: number
      readonly authority: 0 | 1
    }
  | { readonly kind: 'change-status'; readonly statuses: ReadonlyArray<LicenceStatus> }

export interface HistoryStep {
  readonly licence: number
  /** Minutes that pass before this step. */
  readonly advanceMinutes: number
  /** Minutes between `at` and `recordedAt`. */
  readonly recordLagMinutes: number
  readonly action: HistoryAction
}

export interface ScriptedLicence {
  readonly licenceNumber: string
  readonly photoOnFile: boolean
  readonly statuses: ReadonlyArray<LicenceStatus>
}

/** Licences are recorded first, then the steps run. */
export interface HistoryScript {
  readonly licences: ReadonlyArray<ScriptedLicence>
  readonly steps: ReadonlyArray<HistoryStep>
}

/** A valid licence number (GB 11643: born `index` days after 1990-01-01, check character) per index. */
export const licenceNumberFor = (index: number): string => {
  const born = new Date(Date.UTC(1990, 0, 1) + index * 86_400_000)
    .toISOString()
    .slice(0, 10)
    .replaceAll('-', '')
  const first17 = `110105${born}${String(101 + (index % 899)).padStart(3, '0')}`
  return `${first17}${citizenIdCheckCharacter(first17)}`
}

const statusSets: ReadonlyArray<ReadonlyArray<LicenceStatus>> = [
  ['A'],
  ['A'],
  ['A'],
  ['H'],
  ['B'],
  ['F'],
  ['R'],
  ['H', 'I'],
  ['D'],
]
const classSets: ReadonlyArray<ReadonlyArray<LicenceClass>> = [
  ['C1'],
  ['C1'],
  ['C1', 'D'],
  ['A1'],
  ['B2'],
  ['C2'],
]
const defectSets: ReadonlyArray<ReadonlyArray<PhotoDefect>> = [
  [],
  [],
  [],
  ['background-not-white'],
  ['mask', 'sunglasses'],
  ['posture'],
]

const actionArbitrary: fc.Arbitrary<HistoryAction> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'apply' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'review' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reject-photo' as const),
      reasons: fc.constantFrom<ReadonlyArray<PhotoDefect>>(['heavy-makeup'], ['mask', 'scarf']),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('submit-photo' as const),
      defects: fc.constantFrom(...defectSets),
      ageDays: fc.constantFrom(3, 10, 400),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'withdraw' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('renew' as const),
      classes: fc.constantFrom(...classSets),
      validYears: fc.constantFrom(6, 6, 10),
      authority: fc.constantFrom<0 | 1>(0, 0, 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('change-status' as const),
      statuses: fc.constantFrom(...statusSets),
    }),
  },
)

export interface HistoryScriptOptions {
  readonly maxLicences?: number
  readonly minSteps?: number
  readonly maxSteps?: number
}

export const historyScriptArbitrary = (options: HistoryScriptOptions = {}): fc.Arbitrary<HistoryScript> =>
  fc.integer({ min: 1, max: options.maxLicences ?? 3 }).chain((count) =>
    fc.record({
      licences: fc.tuple(
        ...Array.from({ length: count }, (_, index) =>
          fc.record({
            licenceNumber: fc.constant(licenceNumberFor(index)),
            photoOnFile: fc.constantFrom(true, true, true, false),
            statuses: fc.constantFrom<ReadonlyArray<LicenceStatus>>(['A'], ['A'], ['A'], ['H'], ['B']),
          }),
        ),
      ),
      steps: fc.array(
        fc.record({
          licence: fc.nat({ max: count - 1 }),
          // Mostly short steps, sometimes days (reviews fall due), sometimes years (licences expire).
          advanceMinutes: fc.oneof(
            { weight: 6, arbitrary: fc.integer({ min: 1, max: 600 }) },
            { weight: 4, arbitrary: fc.integer({ min: 1_000, max: 5_000 }) },
            { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 4_000_000 }) },
          ),
          recordLagMinutes: fc.integer({ min: 0, max: 30 }),
          action: actionArbitrary,
        }),
        { minLength: options.minSteps ?? 0, maxLength: options.maxSteps ?? 40 },
      ),
    }),
  )

/** Decodes stored events, failing loudly: generated histories are always decodable. */
export const decodeHistory = (events: ReadonlyArray<StoredEvent>): ReadonlyArray<DecodedStoredEvent> =>
  events.map((event) => {
    const decoded = defaultStoredEventDecoder.decode(event)
    if (E.isLeft(decoded)) throw new Error(decoded.left.message)
    return decoded.right
  })
