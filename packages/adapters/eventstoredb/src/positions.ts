/**
 * How an EventStoreDB `$all` position becomes the port's numeric global position, and back.
 *
 * EventStoreDB orders `$all` by `{ commit, prepare }` byte offsets in its transaction log. An event
 * appended through the gRPC API (every append this store makes) is committed by its own prepare
 * record, and the server reports its position with `commit === prepare` (the server's AllReader
 * builds it as `TFPos(prepare.LogPosition, prepare.LogPosition)`): one unique offset per event,
 * increasing in `$all` order. The port's position is that offset plus one, so positions start above
 * zero and `after: 0` means "from the start". Offsets are sparse (positions jump by the size of each
 * record), which the port allows: it asks for increasing positions, not consecutive ones.
 *
 * Reading `after` a position resumes at exactly that event's `$all` position (reads are inclusive)
 * and drops it. Only events of legacy explicit transactions (TCP clients) share one commit position
 * among several prepares; resuming inside such a group could skip its later events, so such an
 * event is refused rather than numbered.
 *
 * @example
 * globalPositionOf({ commit: 4096n, prepare: 4096n }) // right(4097)
 * readPositionAfter(4097) // { commit: 4096n, prepare: 4096n }
 */
import { type Position, type ReadPosition, START } from '@eventstore/db-client'
import * as E from 'fp-ts/lib/Either.js'

const largestPosition = BigInt(Number.MAX_SAFE_INTEGER)

export const globalPositionOf = (position: Position): E.Either<string, number> => {
  if (position.commit !== position.prepare) {
    return E.left(
      `$all position ${position.commit}/${position.prepare} belongs to an explicit transaction, which this store does not write and cannot page through safely`,
    )
  }
  const numbered = position.commit + 1n
  if (position.commit < 0n || numbered > largestPosition)
    return E.left(`$all position ${position.commit} does not fit a safe integer`)
  return E.right(Number(numbered))
}

/** Where a forward `$all` read starts so that the event at `after` is the first one it returns. */
export const readPositionAfter = (after: number): ReadPosition => {
  if (after === 0) return START
  const offset = BigInt(after - 1)
  return { commit: offset, prepare: offset }
}
