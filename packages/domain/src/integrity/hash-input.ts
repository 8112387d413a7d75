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

/**
 * The members of `sealedText`'s metadata, for metadata of exactly the port's members (and `hash`,
 * left out, when `withHash`); undefined for anything else (a member more or less, one undefined).
 */
export const sealedMembersOf = (metadata: unknown, withHash: boolean): SealedMembers | undefined => {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return undefined
  // Own enumerable names, as `canonicalJson` reads an object: these and only these, each once.
  const keys = Object.keys(metadata)
  if (keys.length !== sealedFields.length + (withHash ? 1 : 0)) return undefined
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string
    if (isSealedField[key] !== true && !(withHash && key === 'hash')) return undefined
  }
  const record = metadata as Readonly<Record<string, unknown>>
  let beforeHash = ''
  let out = ''
  for (let index = 0; index < sealedFields.length; index++) {
    if (index === hashAfter) {
      beforeHash = out
      out = ''
    }
    const member = record[sealedFields[index] as string]
    // `canonicalJson` leaves an undefined member out: rare enough to leave to it.
    if (member === undefined) return undefined
    out += sealedMembers[index] as string
    out += typeof member === 'string' ? stringJson(member) : canonicalJson(member)
  }
  return { beforeHash, afterHash: out }
}

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
