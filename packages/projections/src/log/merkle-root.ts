/**
 * The root of a growing RFC 9162 tree and nothing else, for a reader that only checks a root (the
 * auditor rebuilding the tree of a whole history, a leaf per event). `merkleAccumulator` hands out
 * every node it completes, as objects, for a store to keep; this keeps the right edge in one buffer
 * — the root of the perfect subtree of level l wherever bit l of the size is set — and hashes each
 * node from one reused input, so an append allocates only its digests. On a million leaves that
 * halved the tree's time beside the partition workers (node objects, arrays and inputs were as
 * much again as the hashing).
 *
 * @example
 * const tree = merkleRootAccumulator(sha256)
 * for (const leaf of leafHashes) tree.append(leaf)
 * tree.root() // equals merkleAccumulator's root of the same leaves
 */
import { emptyRoot, hashSize, type Sha256 } from './merkle.js'

export interface MerkleRootAccumulator {
  readonly size: () => number
  /** Appends a leaf hash (32 bytes, copied: the caller may reuse them). */
  readonly append: (leafHash: Uint8Array) => void
  readonly root: () => Uint8Array
}

// Sizes are safe integers, below 2^53: one edge node per bit.
const maxLevels = 53

export const merkleRootAccumulator = (sha256: Sha256): MerkleRootAccumulator => {
  const edge = new Uint8Array(maxLevels * hashSize)
  // RFC 9162's node input: 0x01 ‖ left ‖ right. The right half carries the node being completed.
  const input = new Uint8Array(1 + 2 * hashSize)
  input[0] = 1
  const right = 1 + hashSize
  let size = 0

  const setLeft = (level: number) => {
    const from = level * hashSize
    for (let at = 0; at < hashSize; at++) input[1 + at] = edge[from + at] as number
  }

  return {
    size: () => size,
    append: (leafHash) => {
      if (leafHash.length !== hashSize)
        throw new RangeError(`a leaf hash has ${hashSize} bytes, not ${leafHash.length}`)
      input.set(leafHash, right)
      // As a binary increment: each set low bit of the size is a subtree the new node completes.
      let level = 0
      for (let rest = size; rest % 2 === 1; rest = (rest - 1) / 2) {
        setLeft(level)
        input.set(sha256(input), right)
        level++
      }
      edge.set(input.subarray(right), level * hashSize)
      size++
    },
    root: () => {
      if (size === 0) return emptyRoot(sha256)
      // From the smallest subtree up, as `foldSubtrees` folds the edge.
      let level = 0
      let rest = size
      while (rest % 2 === 0) {
        rest /= 2
        level++
      }
      input.set(edge.subarray(level * hashSize, (level + 1) * hashSize), right)
      for (rest = (rest - 1) / 2, level++; rest > 0; rest = Math.floor(rest / 2), level++) {
        if (rest % 2 === 0) continue
        setLeft(level)
        input.set(sha256(input), right)
      }
      return input.slice(right)
    },
  }
}
