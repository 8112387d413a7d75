/**
 * The auditor's check that an event's own `hash` covers its content, which it runs on every event:
 * the text the hash covers (`hashInput` of @elicence/domain — RFC 8785 JSON of {streamId, version,
 * type, data, metadata without hash}) written for a stored event the auditor has checked the shape
 * of (`decodeStoredEventShape`), in a quarter of `hashInput`'s time. RFC 8785 sorts the members of
 * every object; a store's JSON mostly has them sorted already (the SQLite store writes `data` in
 * its canonical form), and for a value whose members are in sorted order at every level
 * `JSON.stringify` writes exactly RFC 8785 (`inCanonicalOrder`). The rest — the envelope and the
 * metadata, whose fields the shape fixes — is written in its sorted order directly.
 *
 * It only ever answers "the hash holds" for a text equal to `hashInput`'s (seal-check.test.ts holds
 * it to that over random events); for anything else it defers to `sealBreak`, which reports.
 *
 * @example
 * const broken = sealHolds(event, nodeSha256Hex) ? undefined : sealBreak(event, nodeSha256Hex)
 */
import { canonicalJson, type Digest, type StoredEvent } from '@elicence/domain'

/** An object as JSON.parse makes them: no members but its own, no array, no class. */
const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Whether `JSON.stringify(value)` is its RFC 8785 form: JSON values only (finite numbers, no
 * undefined, no functions, plain objects and arrays), and every object's members enumerated in
 * strictly increasing UTF-16 order — the order `JSON.stringify` writes them in, and the order
 * RFC 8785 §3.2.3 sorts them into.
 */
export const inCanonicalOrder = (value: unknown): boolean => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object': {
      if (value === null) return true
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) if (!inCanonicalOrder(value[index])) return false
        return true
      }
      // A class instance may have a toJSON, or members JSON.stringify and RFC 8785 read differently.
      if (!isPlainObject(value)) return false
      let previous: string | undefined
      for (const key in value) {
        if (previous !== undefined && !(previous < key)) return false
        previous = key
        if (!inCanonicalOrder((value as Record<string, unknown>)[key])) return false
      }
      return true
    }
    default:
      return false
  }
}

/** RFC 8785 JSON of a value: `JSON.stringify` where that is it, `canonicalJson` otherwise. */
const canonicalText = (value: unknown): string =>
  inCanonicalOrder(value) ? JSON.stringify(value) : canonicalJson(value)

const json = JSON.stringify

/** The actor as RFC 8785 writes it: `{"id":…,"role":…}` when it is just those two strings. */
const actorText = (actor: object): string => {
  const { id, role } = actor as { readonly id?: unknown; readonly role?: unknown }
  if (typeof id !== 'string' || typeof role !== 'string' || !isPlainObject(actor)) return canonicalText(actor)
  let fields = 0
  for (const _ in actor) fields++
  return fields === 2 ? `{"id":${json(id)},"role":${json(role)}}` : canonicalText(actor)
}

/** The metadata's fields besides `hash`, as the stored-event shape has them: all strings but one. */
const metadataFieldCount = 10

/**
 * `hashInput`'s text of a shape-checked stored event, or undefined where this cannot tell that it
 * would be the same (a field of another type or a field more than the shape allows): then only
 * `sealBreak` answers.
 */
export const sealedText = (event: StoredEvent): string | undefined => {
  const { streamId, version, type, data, metadata } = event
  const { actor, at, commandHash, commandId, eventId, prevHash, recordedAt, rulesVersion, schemaVersion } =
    metadata
  if (
    typeof streamId !== 'string' ||
    typeof type !== 'string' ||
    !Number.isSafeInteger(version) ||
    !Number.isSafeInteger(schemaVersion) ||
    typeof at !== 'string' ||
    typeof commandHash !== 'string' ||
    typeof commandId !== 'string' ||
    typeof eventId !== 'string' ||
    typeof prevHash !== 'string' ||
    typeof recordedAt !== 'string' ||
    typeof rulesVersion !== 'string' ||
    typeof actor !== 'object' ||
    actor === null ||
    !isPlainObject(metadata)
  )
    return undefined
  // Exactly the fields written below and `hash`: a field this does not write would go unhashed.
  let fields = 0
  for (const _ in metadata) fields++
  if (fields !== metadataFieldCount || !('hash' in metadata)) return undefined
  // RFC 8785 leaves out a member whose value is undefined, as `hashInput` does with a missing data.
  const dataMember = data === undefined ? '' : `"data":${canonicalText(data)},`
  // Members in sorted order: data, metadata, streamId, type, version; the metadata's likewise.
  return `{${dataMember}"metadata":{"actor":${actorText(actor)},"at":${json(at)},"commandHash":${json(commandHash)},"commandId":${json(commandId)},"eventId":${json(eventId)},"prevHash":${json(prevHash)},"recordedAt":${json(recordedAt)},"rulesVersion":${json(rulesVersion)},"schemaVersion":${schemaVersion}},"streamId":${json(streamId)},"type":${json(type)},"version":${version}}`
}

/** Whether the event's `hash` is the digest of its content; false also where only `sealBreak` can tell. */
export const sealHolds = (event: StoredEvent, digest: Digest): boolean => {
  let text: string | undefined
  try {
    text = sealedText(event)
  } catch {
    // Content with no RFC 8785 form (NaN, a BigInt, a cycle): `sealBreak` says so.
    return false
  }
  return text !== undefined && digest(text) === event.metadata.hash
}
