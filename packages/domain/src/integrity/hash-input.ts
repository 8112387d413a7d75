/**
 * The text an event's hash covers (DESIGN §4): RFC 8785 JSON of {streamId, version, type, data,
 * metadata without hash}, written straight for metadata of the port's members (no object to build,
 * no keys to sort) and by `canonicalJson` of the whole otherwise. Sealing (hash-chain.ts) writes it
 * for every event appended, an auditor for every event read.
 *
 * @example
 * hashInput(streamId, version, type, data, { ...metadata, prevHash }) // the text to hash
 */
import type { EventMetadataDraft } from '../store/port.js'
import { canonicalJson, stringJson } from './canonical-json.js'

/**
 * The metadata's members that are hashed, in RFC 8785 order: the port's, `hash` aside, which sorts
 * between `eventId` and `prevHash` (`hashAfter` of them come before it).
 */
const sealedFields = [
  'actor',
  'at',
  'commandHash',
  'commandId',
  'eventId',
  'prevHash',
  'recordedAt',
  'rulesVersion',
  'schemaVersion',
] as const
const hashAfter = sealedFields.indexOf('eventId') + 1
const sealedMembers = sealedFields.map(
  (field, index) => `${index === 0 || index === hashAfter ? '' : ','}"${field}":`,
)
const isSealedField: Readonly<Record<string, true>> = Object.assign(
  Object.create(null),
  Object.fromEntries(sealedFields.map((field) => [field, true])),
)

/** The canonical JSON of the hashed metadata's members, without braces, in two parts: before and after where `hash` sorts. */
export interface SealedMembers {
  readonly beforeHash: string
  readonly afterHash: string
}

/** Whether `record`'s own enumerable names are exactly the hashed fields, `prevHash` only when `withPrevHash`, `hash` besides when `withHash`. */
const hasSealedNames = (record: object, withPrevHash: boolean, withHash: boolean): boolean => {
  // Own enumerable names, as `canonicalJson` reads an object: these and only these, each once.
  const keys = Object.keys(record)
  if (keys.length !== sealedFields.length - (withPrevHash ? 0 : 1) + (withHash ? 1 : 0)) return false
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string
    if (key === 'hash' ? !withHash : key === 'prevHash' ? !withPrevHash : isSealedField[key] !== true)
      return false
  }
  return true
}

/** The members' text; `prevHash` from the argument when given, else from the record. */
const membersText = (
  record: Readonly<Record<string, unknown>>,
  prevHash: string | undefined,
): SealedMembers | undefined => {
  let beforeHash = ''
  let out = ''
  for (let index = 0; index < sealedFields.length; index++) {
    if (index === hashAfter) {
      beforeHash = out
      out = ''
    }
    const field = sealedFields[index] as string
    const member = prevHash !== undefined && field === 'prevHash' ? prevHash : record[field]
    // `canonicalJson` leaves an undefined member out: rare enough to leave to it.
    if (member === undefined) return undefined
    out += sealedMembers[index] as string
    out += typeof member === 'string' ? stringJson(member) : canonicalJson(member)
  }
  return { beforeHash, afterHash: out }
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The members of `sealedText`'s metadata, for metadata of exactly the port's members (and `hash`,
 * left out, when `withHash`); undefined for anything else (a member more or less, one undefined).
 */
export const sealedMembersOf = (metadata: unknown, withHash: boolean): SealedMembers | undefined =>
  isRecord(metadata) && hasSealedNames(metadata, true, withHash)
    ? membersText(metadata, undefined)
    : undefined

/**
 * `sealedMembersOf({ ...draft, prevHash }, false)` without the copy: for a draft of exactly the
 * port's members before sealing (no `prevHash`, no `hash`); undefined for anything else.
 */
export const draftMembersOf = (draft: unknown, prevHash: string): SealedMembers | undefined =>
  isRecord(draft) && hasSealedNames(draft, false, false) ? membersText(draft, prevHash) : undefined

/** The envelope around the metadata's members: undefined for an envelope field of another type. */
export const envelopeText = (
  streamId: unknown,
  version: unknown,
  type: unknown,
  data: unknown,
  members: SealedMembers,
  dataJson: string | undefined,
): string | undefined => {
  if (typeof streamId !== 'string' || typeof type !== 'string' || typeof version !== 'number')
    return undefined
  const start =
    data === undefined ? '{"metadata":{' : `{"data":${dataJson ?? canonicalJson(data)},"metadata":{`
  return `${start}${members.beforeHash},${members.afterHash}},"streamId":${stringJson(streamId)},"type":${stringJson(type)},"version":${canonicalJson(version)}}`
}

/**
 * `canonicalJson({ streamId, version, type, data, metadata })` written straight, for metadata of
 * exactly the port's members (and `hash`, left out, when `withHash`): the envelope's and the
 * metadata's members in their known sorted order, with no object to build, no keys to sort, no
 * copy of the metadata without its hash. Undefined for anything else (a member more or less, one
 * undefined, an envelope field of another type), which `canonicalJson` of the whole then writes.
 * Every event written is hashed once and every event read by an auditor once more. `dataJson`:
 * `canonicalJson(data)` when the caller has made it already (a store that writes that text).
 */
export const sealedText = (
  streamId: unknown,
  version: unknown,
  type: unknown,
  data: unknown,
  metadata: unknown,
  withHash: boolean,
  dataJson?: string,
): string | undefined => {
  if (typeof streamId !== 'string' || typeof type !== 'string' || typeof version !== 'number')
    return undefined
  const members = sealedMembersOf(metadata, withHash)
  return members === undefined ? undefined : envelopeText(streamId, version, type, data, members, dataJson)
}

/** The exact text that is hashed for an event; throws where it has no RFC 8785 form. */
export const hashInput = (
  streamId: string,
  version: number,
  type: string,
  data: unknown,
  metadata: EventMetadataDraft & { readonly prevHash: string },
): string =>
  sealedText(streamId, version, type, data, metadata, false) ??
  canonicalJson({ streamId, version, type, data, metadata })
