/**
 * The folded state of recently used streams (DESIGN §4): the handler keeps, per stream, the state
 * and the version it was folded up to, so the next command on that stream reads and folds only the
 * events after that version. Bounded: past `capacity` streams the least recently used is forgotten.
 * An entry is only ever a starting point: the store reports the stream's version under its lock and
 * hands over what came after (another process's events too), so a stale entry costs a longer read,
 * never a wrong decision.
 *
 * @example
 * const cache = streamStateCache(10_000)
 * cache.keep('licence-…', { version: 4, state, head })
 */
import type { ChainHead } from '../integrity/hash-chain.js'
import type { LicenceState } from '../licence/state.js'
import { recentlyUsed } from './recently-used.js'

export interface FoldedStream {
  /** The version of the last event folded into `state`. */
  readonly version: number
  readonly state: LicenceState
  /** That event's version and hash: where the next event read must link on. */
  readonly head: ChainHead
}

/** `F`: what else a reader keeps with the fold (the HTTP server keeps the e-licence view too). */
export interface StreamStateCache<F extends FoldedStream = FoldedStream> {
  readonly get: (streamId: string) => F | undefined
  /** Keeps `folded` unless a later version of the stream is already kept (commands finish out of order). */
  readonly keep: (streamId: string, folded: F) => void
  readonly forget: (streamId: string) => void
}

export const streamStateCache = <F extends FoldedStream = FoldedStream>(
  capacity: number,
): StreamStateCache<F> => {
  const entries = recentlyUsed<string, F>(capacity)
  return {
    get: entries.get,
    keep: (streamId, folded) => {
      const kept = entries.peek(streamId)
      if (kept !== undefined && kept.version > folded.version) return
      entries.set(streamId, folded)
    },
    forget: entries.delete,
  }
}
