/**
 * The per-stream hash chain of DESIGN §4: every stored event carries `prevHash` and
 * `hash = SHA-256(RFC 8785 JSON of {streamId, version, type, data, metadata without hash})`.
 * Stores seal events with it when they append; auditors verify it when they read.
 *
 * @example
 * const sealed = sealEvents({ streamId, firstVersion: 0, prevHash: genesisHash, events })
 */
import type { EventMetadataDraft, NewEvent, StoredEvent, StoredEventMetadata } from '../store/port.js'
import { canonicalJson, stringJson } from './canonical-json.js'
import { draftMembersOf, envelopeText, hashInput, type SealedMembers, sealedText } from './hash-input.js'
import { type Digest, sha256Hex } from './sha256.js'

export const genesisHash = '0'.repeat(64)

export interface SealedEvent {
  readonly streamId: string
  readonly version: number
  readonly type: string
  readonly data: unknown
  readonly metadata: StoredEventMetadata
}

/** `hashInput` of a stored event: its metadata without `hash`. */
const storedHashInput = (event: ChainedEvent): string => {
  const text = sealedText(event.streamId, event.version, event.type, event.data, event.metadata, true)
  if (text !== undefined) return text
  const { hash: _hash, ...draft } = event.metadata
  return hashInput(event.streamId, event.version, event.type, event.data, draft)
}

export interface SealInput {
  readonly streamId: string
  /** Version the first new event gets: the stream's current version + 1. */
  readonly firstVersion: number
  /** Hash of the stream's last event, or `genesisHash` for a new stream. */
  readonly prevHash: string
  readonly events: ReadonlyArray<NewEvent>
}

/** A sealed event and the canonical JSON of its data and metadata, the data as it was hashed: the text a store writes. */
export interface SealedEventWithData {
  readonly event: SealedEvent
  /** `canonicalJson(event.data)`; `undefined` for an event with no data (no text to write). */
  readonly dataJson: string | undefined
  /** `canonicalJson(event.metadata)`, `hash` included. */
  readonly metadataJson: string
}

/** Seals events in order; throws where an event has no RFC 8785 form (NaN, a BigInt, a cycle). */
export const sealEvents = (input: SealInput, digest: Digest = sha256Hex): ReadonlyArray<SealedEvent> =>
  sealEach(input, digest, (event) => event)

/**
 * `sealEvents`, keeping the canonical JSON of each event's data (the text that was hashed) and of
 * its metadata (from the members that were hashed, `hash` put in its place), so a store that writes
 * text (SQLite, PostgreSQL) serialises each once, not once for the hash and again for the row.
 */
export const sealEventsWithData = (
  input: SealInput,
  digest: Digest = sha256Hex,
): ReadonlyArray<SealedEventWithData> =>
  sealEach(input, digest, (event, dataJson, members) => ({
    event,
    dataJson,
    metadataJson:
      members === undefined
        ? canonicalJson(event.metadata)
        : `{${members.beforeHash},"hash":${stringJson(event.metadata.hash)},${members.afterHash}}`,
  }))

const sealEach = <T>(
  input: SealInput,
  digest: Digest,
  keep: (event: SealedEvent, dataJson: string | undefined, members: SealedMembers | undefined) => T,
): T[] => {
  const sealed: T[] = []
  let prevHash = input.prevHash
  for (let index = 0; index < input.events.length; index++) {
    const event = input.events[index] as NewEvent
    const version = input.firstVersion + index
    const dataJson = event.data === undefined ? undefined : canonicalJson(event.data)
    const draft = event.metadata
    const members = draftMembersOf(draft, prevHash)
    const text =
      members === undefined
        ? undefined
        : envelopeText(input.streamId, version, event.type, event.data, members, dataJson)
    let metadata: StoredEventMetadata
    if (text !== undefined) {
      const hash = digest(text)
      // One literal of every member, hashed ones as the draft has them: no copy of the draft to
      // grow by two members (each a new shape for the object), one shape for every event, and in
      // canonical (sorted) order, the shape the stores' reads parse from the canonical text.
      metadata = {
        actor: draft.actor,
        at: draft.at,
        commandHash: draft.commandHash,
        commandId: draft.commandId,
        eventId: draft.eventId,
        hash,
        prevHash,
        recordedAt: draft.recordedAt,
        rulesVersion: draft.rulesVersion,
        schemaVersion: draft.schemaVersion,
      }
    } else {
      const copy = draftOf(draft, prevHash)
      const hash = digest(hashInput(input.streamId, version, event.type, event.data, copy))
      metadata = { ...copy, hash }
    }
    sealed.push(
      keep(
        { streamId: input.streamId, version, type: event.type, data: event.data, metadata },
        dataJson,
        text === undefined ? undefined : members,
      ),
    )
    prevHash = metadata.hash
  }
  return sealed
}

/**
 * The metadata that is hashed, as a new object. Events re-appended from a history (an import) still
 * carry their old `hash`: it must not be hashed, or the new hash would cover a field that
 * `verifyChain` leaves out.
 */
const draftOf = (
  metadata: EventMetadataDraft,
  prevHash: string,
): EventMetadataDraft & { prevHash: string } => {
  if (!Object.hasOwn(metadata, 'hash')) return { ...metadata, prevHash }
  const { hash: _previousHash, ...rest } = metadata as EventMetadataDraft & { hash?: unknown }
  return { ...rest, prevHash }
}

export interface ChainBreak {
  readonly streamId: string
  readonly version: number
  readonly reason: 'version-gap' | 'prev-hash-mismatch' | 'hash-mismatch'
  readonly message: string
}

/**
 * Where a stream's verified chain stands: the version and hash of its last verified event, or
 * `streamStart` before its first. A reader that keeps the head of each stream (a projection's view,
 * an auditor's, an import's check) verifies each new event against it, without the history before.
 */
export interface ChainHead {
  /** -1 before the first event. */
  readonly version: number
  readonly hash: string
}

export const streamStart: ChainHead = { version: -1, hash: genesisHash }

/** The head after `event`, whether or not it continued the chain: later events are checked against it. */
export const headAfter = (event: Pick<StoredEvent, 'version' | 'metadata'>): ChainHead => ({
  version: event.version,
  hash: event.metadata.hash,
})

type ChainedEvent = Pick<StoredEvent, 'streamId' | 'version' | 'type' | 'data' | 'metadata'>

const noBreaks: ReadonlyArray<ChainBreak> = Object.freeze([])

/**
 * The links of `event` to the head before it: its version follows, its `prevHash` is the head's
 * hash. No hashing: cheap enough for every read, and an event that links allocates nothing (no
 * array, no message), as almost every event a reader checks does.
 */
export const linkBreaks = (
  head: ChainHead,
  event: Omit<ChainedEvent, 'type' | 'data'>,
): ReadonlyArray<ChainBreak> => {
  const expectedVersion = head.version + 1
  if (event.version === expectedVersion && event.metadata.prevHash === head.hash) return noBreaks
  const breaks: ChainBreak[] = []
  const at = `${event.streamId}@${event.version}`
  if (event.version !== expectedVersion) {
    breaks.push({
      streamId: event.streamId,
      version: event.version,
      reason: 'version-gap',
      message: `${at}: expected version ${expectedVersion}`,
    })
  }
  if (event.metadata.prevHash !== head.hash) {
    breaks.push({
      streamId: event.streamId,
      version: event.version,
      reason: 'prev-hash-mismatch',
      message: `${at}: prevHash does not match the previous event's hash`,
    })
  }
  return breaks
}

/** Whether the event's own `hash` covers its content; `undefined` when it does. */
export const sealBreak = (event: ChainedEvent, digest: Digest = sha256Hex): ChainBreak | undefined => {
  const actual = recomputedHash(event, digest)
  // No hash matches content with no RFC 8785 form, not even a missing one.
  return actual !== undefined && actual === event.metadata.hash
    ? undefined
    : {
        streamId: event.streamId,
        version: event.version,
        reason: 'hash-mismatch',
        message: `${event.streamId}@${event.version}: ${actual === undefined ? 'content has no RFC 8785 form, so no hash can match' : "hash does not match the event's content"}`,
      }
}

/**
 * Checks one stream's events (in version order) against the chain, from its start or from a head
 * already verified. Returns every break found, so an auditor sees an edited event and the
 * reordering after it alike; each event is checked against the one before it, broken or not.
 */
export const verifyChain = (
  events: ReadonlyArray<ChainedEvent>,
  digest: Digest = sha256Hex,
  from: ChainHead = streamStart,
): ReadonlyArray<ChainBreak> => {
  const breaks: ChainBreak[] = []
  let head = from
  for (const event of events) {
    breaks.push(...linkBreaks(head, event))
    const sealed = sealBreak(event, digest)
    if (sealed !== undefined) breaks.push(sealed)
    head = headAfter(event)
  }
  return breaks
}

// An event handed in by a caller may hold what RFC 8785 cannot serialise (NaN, a BigInt, a cycle);
// no sealed event can, so its hash cannot match and that is a break, not a crash.
const recomputedHash = (event: ChainedEvent, digest: Digest): string | undefined => {
  try {
    return digest(storedHashInput(event))
  } catch {
    return undefined
  }
}
