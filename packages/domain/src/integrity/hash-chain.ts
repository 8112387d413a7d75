/**
 * The per-stream hash chain of DESIGN §4: every stored event carries `prevHash` and
 * `hash = SHA-256(RFC 8785 JSON of {streamId, version, type, data, metadata without hash})`.
 * Stores seal events with it when they append; auditors verify it when they read.
 *
 * @example
 * const sealed = await sealEvents({ streamId, firstVersion: 0, prevHash: genesisHash, events }, sha256HexWebCrypto)
 */
import type { EventMetadataDraft, NewEvent, StoredEvent, StoredEventMetadata } from '../store/port.js'
import { canonicalJson } from './canonical-json.js'

export const genesisHash = '0'.repeat(64)

export interface SealedEvent {
  readonly streamId: string
  readonly version: number
  readonly type: string
  readonly data: unknown
  readonly metadata: StoredEventMetadata
}

/** The exact text that is hashed for an event. */
export const hashInput = (
  streamId: string,
  version: number,
  type: string,
  data: unknown,
  metadata: EventMetadataDraft & { readonly prevHash: string },
): string => canonicalJson({ streamId, version, type, data, metadata })

const textEncoder = new TextEncoder()

/** SHA-256 as lowercase hex, through Web Crypto (available in browsers and Node ≥ 20 without imports). */
export const sha256HexWebCrypto = async (text: string): Promise<string> => {
  const digest = await crypto.subtle.digest('SHA-256', textEncoder.encode(text))
  return bytesToHex(new Uint8Array(digest))
}

const hexDigits = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

export const bytesToHex = (bytes: Uint8Array): string => {
  let hex = ''
  for (const byte of bytes) hex += hexDigits[byte]
  return hex
}

export interface SealInput {
  readonly streamId: string
  /** Version the first new event gets: the stream's current version + 1. */
  readonly firstVersion: number
  /** Hash of the stream's last event, or `genesisHash` for a new stream. */
  readonly prevHash: string
  readonly events: ReadonlyArray<NewEvent>
}

/**
 * Seals events in order. `digest` may be synchronous (node:crypto in an adapter's transaction) or
 * asynchronous (Web Crypto); a synchronous digest gives a synchronous result.
 */
export function sealEvents(input: SealInput, digest: (text: string) => string): ReadonlyArray<SealedEvent>
export function sealEvents(
  input: SealInput,
  digest: (text: string) => Promise<string>,
): Promise<ReadonlyArray<SealedEvent>>
export function sealEvents(
  input: SealInput,
  digest: (text: string) => string | Promise<string>,
): ReadonlyArray<SealedEvent> | Promise<ReadonlyArray<SealedEvent>> {
  const sealed: SealedEvent[] = []
  const step = (
    index: number,
    prevHash: string,
  ): ReadonlyArray<SealedEvent> | Promise<ReadonlyArray<SealedEvent>> => {
    const event = input.events[index]
    if (event === undefined) return sealed
    const version = input.firstVersion + index
    // Events re-appended from a history (an import) still carry their old `hash`: it must not be
    // hashed, or the new hash would cover a field that `verifyChain` leaves out.
    const { hash: _previousHash, ...metadata } = event.metadata as EventMetadataDraft & { hash?: unknown }
    const draft = { ...metadata, prevHash }
    const hashed = digest(hashInput(input.streamId, version, event.type, event.data, draft))
    const push = (hash: string) => {
      sealed.push({
        streamId: input.streamId,
        version,
        type: event.type,
        data: event.data,
        metadata: { ...draft, hash },
      })
      return step(index + 1, hash)
    }
    return typeof hashed === 'string' ? push(hashed) : hashed.then(push)
  }
  return step(0, input.prevHash)
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

/**
 * The links of `event` to the head before it: its version follows, its `prevHash` is the head's
 * hash. No hashing: cheap enough for every read.
 */
export const linkBreaks = (
  head: ChainHead,
  event: Omit<ChainedEvent, 'type' | 'data'>,
): ReadonlyArray<ChainBreak> => {
  const breaks: ChainBreak[] = []
  const at = `${event.streamId}@${event.version}`
  const expectedVersion = head.version + 1
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
export const sealBreak = async (
  event: ChainedEvent,
  digest: (text: string) => string | Promise<string> = sha256HexWebCrypto,
): Promise<ChainBreak | undefined> => {
  const { hash, ...draft } = event.metadata
  const actual = await digest(hashInput(event.streamId, event.version, event.type, event.data, draft))
  return actual === hash
    ? undefined
    : {
        streamId: event.streamId,
        version: event.version,
        reason: 'hash-mismatch',
        message: `${event.streamId}@${event.version}: hash does not match the event's content`,
      }
}

/**
 * Checks one stream's events (in version order) against the chain, from its start or from a head
 * already verified. Returns every break found, so an auditor sees an edited event and the
 * reordering after it alike; each event is checked against the one before it, broken or not.
 */
export const verifyChain = async (
  events: ReadonlyArray<ChainedEvent>,
  digest: (text: string) => string | Promise<string> = sha256HexWebCrypto,
  from: ChainHead = streamStart,
): Promise<ReadonlyArray<ChainBreak>> => {
  const breaks: ChainBreak[] = []
  let head = from
  for (const event of events) {
    breaks.push(...linkBreaks(head, event))
    const sealed = await sealBreak(event, digest)
    if (sealed !== undefined) breaks.push(sealed)
    head = headAfter(event)
  }
  return breaks
}
