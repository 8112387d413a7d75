/**
 * A forger's re-seal, for the audit's tests: every stream's hash chain computed again after an edit,
 * as anyone who knows DESIGN §4's algorithm and can write the store would, so that only the rules
 * (and the transparency log) can show the edit.
 *
 * @example
 * auditHistory(reseal(events.map((event, index) => (index === 3 ? forged : event))))
 */
import { genesisHash, type StoredEvent, sealEvents } from '@elicence/domain'

export const reseal = (events: ReadonlyArray<StoredEvent>): ReadonlyArray<StoredEvent> => {
  const heads = new Map<string, { version: number; hash: string }>()
  return events.map((event) => {
    const head = heads.get(event.streamId) ?? { version: -1, hash: genesisHash }
    const { hash: _hash, prevHash: _prevHash, ...draft } = event.metadata
    const [sealed] = sealEvents({
      streamId: event.streamId,
      firstVersion: head.version + 1,
      prevHash: head.hash,
      events: [{ type: event.type, data: event.data, metadata: draft }],
    })
    if (sealed === undefined) throw new Error('sealed nothing')
    heads.set(event.streamId, { version: sealed.version, hash: sealed.metadata.hash })
    return { ...sealed, position: event.position }
  })
}
