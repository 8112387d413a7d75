/**
 * The commands of DESIGN §3 as io-ts codecs, and `parseCommand`, which decodes any JSON into a
 * `LicenceCommand` or an `invalid-command` error listing every failing path.
 *
 * @example
 * parseCommand({ type: 'WithdrawApplication', data: { licenceNumber: '11010519491231002X', applicationId: 'app-1' },
 *   metadata: { commandId: '5b0c3f8e-8a55-4c4b-9d7e-0f6b1c2d3e4f', at: '2026-10-01T09:00:00+08:00',
 *   actor: { role: 'holder', id: 'acct-1' } } })
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { type InvalidInputIssue, invalidCommand, type LicenceError } from './errors.js'
import { jsonDepthProblem } from './input-depth.js'
import { describeCodec } from './json-schema.js'
import { decodeUnchanged, exactType } from './rule-codecs.js'
import {
  Actor,
  Authority,
  birthDateOf,
  CommandId,
  Holder,
  Id,
  Instant,
  LicenceClasses,
  LicenceNumber,
  LicenceStatuses,
  LocalDate,
  PhotoDefects,
  RejectionReasons,
  ValidUntil,
} from './values.js'

export const CommandMetadata = exactType(
  { commandId: CommandId, at: Instant, actor: Actor },
  'CommandMetadata',
)
export type CommandMetadata = t.TypeOf<typeof CommandMetadata>

/**
 * A codec that also checks a relation between decoded fields, reported at the codec's own path.
 * JSON Schema cannot compare two fields, so `beyondSchema` says in the schema's description what
 * the server checks besides.
 */
const satisfying = <A, O>(
  codec: t.Type<A, O, unknown>,
  problem: (value: A) => string | undefined,
  beyondSchema: string,
) =>
  describeCodec(
    new t.Type<A, O, unknown>(
      codec.name,
      (input): input is A => codec.is(input) && problem(input) === undefined,
      (input, context) =>
        pipe(
          codec.validate(input, context),
          E.flatMap((value) => {
            const message = problem(value)
            return message === undefined ? t.success(value) : t.failure(input, context, message)
          }),
        ),
      codec.encode,
    ),
    { description: beyondSchema },
    codec,
  )

/** A licence's validity runs forwards, and from no earlier than its holder's birth. */
const validityInOrder = (value: {
  readonly licenceNumber: string
  readonly validFrom: string
  readonly validUntil: string
}) => {
  if (value.validUntil !== 'long-term' && value.validUntil < value.validFrom)
    return `validUntil ${value.validUntil} is before validFrom ${value.validFrom}`
  const born = birthDateOf(value.licenceNumber)
  return value.validFrom < born
    ? `validFrom ${value.validFrom} is before the holder's date of birth ${born} (licenceNumber's digits 7 to 14)`
    : undefined
}
const validityInOrderNote =
  "The server also refuses a `validUntil` before `validFrom`, and a `validFrom` before the holder's date of birth (digits 7 to 14 of `licenceNumber`), which JSON Schema cannot express."

const command = <T extends string, D extends t.Mixed>(type: T, data: D) =>
  exactType({ type: t.literal(type), data, metadata: CommandMetadata }, type)

export const RecordLicence = command(
  'RecordLicence',
  satisfying(
    exactType({
      licenceNumber: LicenceNumber,
      holder: Holder,
      classes: LicenceClasses,
      validFrom: LocalDate,
      validUntil: ValidUntil,
      authority: Authority,
      statuses: LicenceStatuses,
      photoOnFile: t.boolean,
    }),
    validityInOrder,
    validityInOrderNote,
  ),
)

export const ApplyForELicence = command(
  'ApplyForELicence',
  exactType({
    licenceNumber: LicenceNumber,
    applicationId: Id,
    declaredValidFrom: LocalDate,
    faceCheck: exactType({ passed: t.boolean }),
  }),
)

const applicationRef = exactType({ licenceNumber: LicenceNumber, applicationId: Id })

export const ReviewApplication = command('ReviewApplication', applicationRef)

export const RejectPhoto = command(
  'RejectPhoto',
  exactType({ licenceNumber: LicenceNumber, applicationId: Id, reasons: RejectionReasons }),
)

export const Photo = exactType({ id: Id, capturedOn: LocalDate, defects: PhotoDefects }, 'Photo')
export type Photo = t.TypeOf<typeof Photo>

export const SubmitPhoto = command(
  'SubmitPhoto',
  exactType({ licenceNumber: LicenceNumber, applicationId: Id, photo: Photo }),
)

export const WithdrawApplication = command('WithdrawApplication', applicationRef)

export const RenewLicence = command(
  'RenewLicence',
  satisfying(
    exactType({
      licenceNumber: LicenceNumber,
      classes: LicenceClasses,
      validFrom: LocalDate,
      validUntil: ValidUntil,
      authority: Authority,
    }),
    validityInOrder,
    validityInOrderNote,
  ),
)

export const ChangeLicenceStatus = command(
  'ChangeLicenceStatus',
  exactType({ licenceNumber: LicenceNumber, statuses: LicenceStatuses }),
)

export const commandCodecs = {
  RecordLicence,
  ApplyForELicence,
  ReviewApplication,
  RejectPhoto,
  SubmitPhoto,
  WithdrawApplication,
  RenewLicence,
  ChangeLicenceStatus,
} as const

export type CommandType = keyof typeof commandCodecs
export const commandTypes = Object.keys(commandCodecs) as ReadonlyArray<CommandType>

export type RecordLicence = t.TypeOf<typeof RecordLicence>
export type ApplyForELicence = t.TypeOf<typeof ApplyForELicence>
export type ReviewApplication = t.TypeOf<typeof ReviewApplication>
export type RejectPhoto = t.TypeOf<typeof RejectPhoto>
export type SubmitPhoto = t.TypeOf<typeof SubmitPhoto>
export type WithdrawApplication = t.TypeOf<typeof WithdrawApplication>
export type RenewLicence = t.TypeOf<typeof RenewLicence>
export type ChangeLicenceStatus = t.TypeOf<typeof ChangeLicenceStatus>

export type LicenceCommand =
  | RecordLicence
  | ApplyForELicence
  | ReviewApplication
  | RejectPhoto
  | SubmitPhoto
  | WithdrawApplication
  | RenewLicence
  | ChangeLicenceStatus

export const LicenceCommand = t.union(
  [
    RecordLicence,
    ApplyForELicence,
    ReviewApplication,
    RejectPhoto,
    SubmitPhoto,
    WithdrawApplication,
    RenewLicence,
    ChangeLicenceStatus,
  ],
  'LicenceCommand',
)

/** Flattens io-ts errors into one issue per failing path, e.g. `data.classes: …`. */
export const validationIssues = (errors: t.Errors): ReadonlyArray<InvalidInputIssue> => {
  const seen = new Set<string>()
  const issues: InvalidInputIssue[] = []
  for (const error of errors) {
    const path = error.context
      .map((entry) => entry.key)
      .filter((key) => key !== '')
      .join('.')
    const expected = error.context[error.context.length - 1]?.type.name ?? 'value'
    const message = error.message ?? `expected ${expected}, got ${describeValue(error.value)}`
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    issues.push({ path: path === '' ? '(root)' : path, message })
  }
  return issues
}

/** A value in a message: its JSON, shortened; what JSON has no form for, by its type. */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  // An invalid Date's JSON is null, and so is that of a number past what doubles hold (JSON's
  // 1e400 parses to Infinity): either would name another value.
  if (value instanceof Date && Number.isNaN(value.getTime())) return 'an invalid Date'
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : `a number too large for a double (read as ${value})`
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    text = undefined
  }
  // A function, a symbol, a BigInt, a cycle: no JSON, so no text of it.
  if (text === undefined) return `a ${typeof value}, which JSON has no form for`
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

const isCommandType = (value: unknown): value is CommandType =>
  typeof value === 'string' && Object.hasOwn(commandCodecs, value)

/**
 * Decodes untrusted JSON into a command. A value nested deeper than `maxJsonDepth` is refused
 * before anything else looks at it. The `type` picks the codec first, so the error lists the
 * failing paths of that command rather than of every member of the union.
 */
export const parseCommand = (json: unknown): E.Either<LicenceError, LicenceCommand> => {
  // JSON text parsed never throws here; a caller's own object may (a getter that throws, a Proxy).
  try {
    return parsedCommand(json)
  } catch (error) {
    return E.left(
      invalidCommand([
        {
          path: '(root)',
          message: `the command cannot be read as JSON data: ${error instanceof Error ? error.message : String(error)}`,
        },
      ]),
    )
  }
}

const parsedCommand = (json: unknown): E.Either<LicenceError, LicenceCommand> => {
  // First: every check below, and the error report above all, recurses into the value.
  const tooDeep = jsonDepthProblem(json)
  if (tooDeep !== undefined) return E.left(invalidCommand([{ path: '(root)', message: tooDeep }]))
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return E.left(
      invalidCommand([{ path: '(root)', message: `expected a command object, got ${describeValue(json)}` }]),
    )
  }
  const type = (json as { readonly type?: unknown }).type
  if (!isCommandType(type)) {
    return E.left(
      invalidCommand([
        { path: 'type', message: `expected one of ${commandTypes.join(', ')}, got ${describeValue(type)}` },
      ]),
    )
  }
  const codec: t.Type<LicenceCommand, unknown, unknown> = commandCodecs[type] as never
  return pipe(
    decodeUnchanged(codec, json),
    E.mapLeft((errors) => invalidCommand(validationIssues(errors))),
  )
}
