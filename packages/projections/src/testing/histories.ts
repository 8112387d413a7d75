/**
 * Random licence histories for property tests: fast-check generates a script of commands over a few
 * licences, and `runHistoryScript` (run-history.ts) sends them through the real command handler, so
 * every history is one the decider could have produced. Most steps are `fitting` ones, which the
 * runner turns into what fits the licence's state when their turn comes (fitting-actions.ts): scripts
 * of random commands alone were mostly refused, and only one in sixteen ever issued an e-licence.
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
  | FittingAction

/** A command of a fixed kind, which the state it meets may refuse. */
export type ScriptedAction = Exclude<HistoryAction, FittingAction>

/**
 * Whatever fits the licence's state when the step's turn comes, its kind picked by `pick` among
 * weights that depend on the state (fitting-actions.ts): a review once the application is due
 * (the step then waits for it, `reviewOffsetMinutes` after the due time), a photo when one is
 * awaited, an application when none is open, a renewal, a status change, and now and then `other`.
 * The material of each kind is drawn beforehand, since the state is known only when the step runs.
 */
export interface FittingAction {
  readonly kind: 'fitting'
  readonly pick: number
  /** Minutes after the review falls due the review is sent; negative ones are refused as early. */
  readonly reviewOffsetMinutes: number
  readonly photo: Extract<ScriptedAction, { readonly kind: 'submit-photo' }>
  readonly rejection: Extract<ScriptedAction, { readonly kind: 'reject-photo' }>
  readonly renewal: Extract<ScriptedAction, { readonly kind: 'renew' }>
  /** Statuses other than `A` alone: beside an active e-licence, shown abnormal or revoking it. */
  readonly abnormal: Extract<ScriptedAction, { readonly kind: 'change-status' }>
  /** Statuses under which the holder may apply (mostly `A`). */
  readonly eligible: Extract<ScriptedAction, { readonly kind: 'change-status' }>
  /** A command of any kind, taken when the state has nothing that fits better. */
  readonly other: ScriptedAction
}

export interface HistoryStep {
  readonly licence: number
  /** Minutes that pass before this step; a fitting review waits for its due time, one that outlives its licence for the expiry. */
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

const scriptedActionArbitrary: fc.Arbitrary<ScriptedAction> = fc.oneof(
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

const fittingActionArbitrary: fc.Arbitrary<FittingAction> = fc.record({
  kind: fc.constant('fitting' as const),
  pick: fc.nat(),
  reviewOffsetMinutes: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 119 }) },
    { weight: 1, arbitrary: fc.integer({ min: -120, max: -1 }) },
  ),
  photo: fc.record({
    kind: fc.constant('submit-photo' as const),
    defects: fc.oneof(
      { weight: 4, arbitrary: fc.constant<ReadonlyArray<PhotoDefect>>([]) },
      { weight: 1, arbitrary: fc.constantFrom(...defectSets) },
    ),
    ageDays: fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 150 }) },
      { weight: 1, arbitrary: fc.constantFrom(3, 10, 400) },
    ),
  }),
  rejection: fc.record({
    kind: fc.constant('reject-photo' as const),
    reasons: fc.constantFrom<ReadonlyArray<PhotoDefect>>(['heavy-makeup'], ['mask', 'scarf']),
  }),
  renewal: fc.record({
    kind: fc.constant('renew' as const),
    classes: fc.constantFrom(...classSets),
    validYears: fc.constantFrom(6, 6, 10),
    authority: fc.constantFrom<0 | 1>(0, 0, 1),
  }),
  abnormal: fc.record({
    kind: fc.constant('change-status' as const),
    statuses: fc.constantFrom<ReadonlyArray<LicenceStatus>>(
      ['H'],
      ['B'],
      ['F'],
      ['R'],
      ['D'],
      ['H', 'I'],
      ['E'],
    ),
  }),
  eligible: fc.record({
    kind: fc.constant('change-status' as const),
    statuses: fc.constantFrom<ReadonlyArray<LicenceStatus>>(['A'], ['A'], ['A'], ['H'], ['I']),
  }),
  other: scriptedActionArbitrary,
})

export interface HistoryScriptOptions {
  readonly maxLicences?: number
  readonly minSteps?: number
  readonly maxSteps?: number
  /**
   * The share of steps, from 0 to 1 (default 0.8), that are `fitting` ones; the others are commands
   * of any kind, which the state mostly refuses. 0 gives the scripts of random commands alone.
   */
  readonly fitting?: number
}

/**
 * Scripts over 1 to `maxLicences` (default 3) licences with up to `maxSteps` (default 40) steps.
 * Most steps fit the state they meet (see `fitting`), so most scripts issue an e-licence and many go
 * on to what ends it (a renewal, a revoking status) and to a second one; histories.test.ts holds
 * the shares.
 */
export const historyScriptArbitrary = (options: HistoryScriptOptions = {}): fc.Arbitrary<HistoryScript> => {
  const fitting = options.fitting ?? 0.8
  if (!(fitting >= 0 && fitting <= 1)) throw new RangeError(`fitting is a share from 0 to 1, not ${fitting}`)
  const permille = Math.round(fitting * 1000)
  const actionArbitrary: fc.Arbitrary<HistoryAction> = fc
    .tuple(fc.integer({ min: 0, max: 999 }), fittingActionArbitrary, scriptedActionArbitrary)
    .map(([n, fits, any]) => (n < permille ? fits : any))
  return fc.integer({ min: 1, max: options.maxLicences ?? 3 }).chain((count) =>
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
          // Mostly short steps, sometimes days (reviews fall due), now and then weeks, rarely years
          // (licences expire): with a wait of years in one step of eleven, as before, most scripts
          // outlived their licences before an e-licence could be issued.
          advanceMinutes: fc.oneof(
            { weight: 30, arbitrary: fc.integer({ min: 1, max: 600 }) },
            { weight: 20, arbitrary: fc.integer({ min: 1_000, max: 5_000 }) },
            { weight: 4, arbitrary: fc.integer({ min: 10_000, max: 100_000 }) },
            { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 4_000_000 }) },
          ),
          recordLagMinutes: fc.integer({ min: 0, max: 30 }),
          action: actionArbitrary,
        }),
        // Any length up to the maximum as likely as any other: fast-check's default size would stop
        // arrays at 10, a few steps for each licence, too few to issue an e-licence and go on.
        { minLength: options.minSteps ?? 0, maxLength: options.maxSteps ?? 40, size: 'max' },
      ),
    }),
  )
}

/** Decodes stored events, failing loudly: generated histories are always decodable. */
export const decodeHistory = (events: ReadonlyArray<StoredEvent>): ReadonlyArray<DecodedStoredEvent> =>
  events.map((event) => {
    const decoded = defaultStoredEventDecoder.decode(event)
    if (E.isLeft(decoded)) throw new Error(decoded.left.message)
    return decoded.right
  })
