/**
 * The transparency log's leaves in global order (DESIGN §9) from partitions read apart (DESIGN §8):
 * each partition of the streams is read in position order, so the leaves of all partitions, merged
 * by position, are the leaves of the whole global order — what one reader of `readAll` would give,
 * without that reader reading and decoding every event a second time. A partition's leaves come in
 * batches (a few thousand each); a leaf is handed on only when every partition still reading has a leaf
 * waiting or is done, so nothing after it can come before it. Memory: the batches not yet merged,
 * 40 bytes a leaf, which stay few while the partitions read at about the same pace.
 *
 * @example
 * const merge = globalOrderLeaves(2, (leaf) => check.observeLeaf(leaf))
 * merge.add(1, { positions: Float64Array.of(2, 5), hashes })   // waits for partition 0
 * merge.add(0, { positions: Float64Array.of(1, 3), hashes })   // hands on 1, 2, 3
 * merge.finish(0); merge.finish(1)                             // hands on 5
 */
import { hashSize } from './merkle.js'

/** One page of a partition: its events' positions, increasing, and their leaf hashes, 32 bytes each. */
export interface PartitionLeaves {
  readonly positions: Float64Array<ArrayBuffer>
  readonly hashes: Uint8Array<ArrayBuffer>
}

export interface GlobalOrderLeaves {
  /** The next leaves of a partition, in its read order. */
  readonly add: (partition: number, leaves: PartitionLeaves) => void
  /** The partition has no more leaves. */
  readonly finish: (partition: number) => void
  /** Leaves handed on so far. */
  readonly merged: () => number
  /** Leaves received but not yet handed on: they wait for a partition that is behind. */
  readonly waiting: () => number
}

interface Queue {
  readonly batches: PartitionLeaves[]
  /** Index of the next leaf in `batches[0]`. */
  next: number
  size: number
  done: boolean
}

/**
 * Merges `count` partitions' leaves by position and calls `onLeaf` with each, in global order (a
 * view of the batch's bytes: copy it to keep it). Equal positions in two partitions, which no store
 * gives, go in partition order.
 */
export const globalOrderLeaves = (
  count: number,
  onLeaf: (leafHash: Uint8Array, position: number) => void,
): GlobalOrderLeaves => {
  const queues: Queue[] = Array.from({ length: count }, () => ({
    batches: [],
    next: 0,
    size: 0,
    done: false,
  }))
  let merged = 0

  const drain = () => {
    for (;;) {
      let from: Queue | undefined
      let lowest = Number.POSITIVE_INFINITY
      for (const queue of queues) {
        const batch = queue.batches[0]
        if (batch === undefined) {
          if (queue.done) continue
          return // a partition still reading may yet give a lower position
        }
        const position = batch.positions[queue.next] as number
        if (from === undefined || position < lowest) {
          from = queue
          lowest = position
        }
      }
      if (from === undefined) return
      const batch = from.batches[0] as PartitionLeaves
      const at = from.next * hashSize
      onLeaf(batch.hashes.subarray(at, at + hashSize), lowest)
      merged++
      from.size--
      from.next++
      if (from.next === batch.positions.length) {
        from.batches.shift()
        from.next = 0
      }
    }
  }

  const queueOf = (partition: number): Queue => {
    const queue = queues[partition]
    if (queue === undefined) throw new RangeError(`partition ${partition} of ${count}`)
    return queue
  }

  return {
    add: (partition, leaves) => {
      if (leaves.hashes.length !== leaves.positions.length * hashSize)
        throw new RangeError(
          `${leaves.positions.length} positions need ${leaves.positions.length * hashSize} bytes of leaf hashes, not ${leaves.hashes.length}`,
        )
      const queue = queueOf(partition)
      if (queue.done) throw new RangeError(`partition ${partition} has finished`)
      if (leaves.positions.length === 0) return
      queue.batches.push(leaves)
      queue.size += leaves.positions.length
      drain()
    },
    finish: (partition) => {
      queueOf(partition).done = true
      drain()
    },
    merged: () => merged,
    waiting: () => queues.reduce((sum, queue) => sum + queue.size, 0),
  }
}
