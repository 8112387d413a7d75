/**
 * RFC 9162 proofs (§2.1.3 inclusion, §2.1.4 consistency) and past roots from a stored tree: each
 * hash a proof needs is a fold of the stored perfect subtrees (merkle.ts), loaded in one query. A
 * size or index the tree does not have is a `log-range` error, the asker's mistake.
 *
 * @example
 * const proofs = logProofs({ sha256, loadNodes, storedSize, missingNode })
 * await proofs.inclusionProof(5, 8)        // Either<LogError, { treeSize: 8, leafIndex: 5, hashes }>
 */
import type { StoreError } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import {
  consistencyProofPlan,
  foldSubtrees,
  hashesOfPlan,
  inclusionProofPlan,
  type LeafRange,
  type NodeId,
  nodesOfPlan,
  perfectSubtrees,
  type Sha256,
} from './merkle.js'
import { toBase64 } from './note-keys.js'

/** JSON of RFC 9162 proofs (DESIGN §9); `leafIndex` only in an inclusion proof. */
export interface LogProof {
  readonly treeSize: number
  readonly leafIndex?: number
  readonly hashes: ReadonlyArray<string>
}

/** A proof asked of sizes or an index the tree does not have: the asker's mistake. */
export interface LogRangeError {
  readonly code: 'log-range'
  readonly message: string
}

export type LogError = StoreError | LogRangeError

export const isLogRangeError = (error: { readonly code: string }): error is LogRangeError =>
  error.code === 'log-range'

const rangeError = (message: string): E.Either<LogRangeError, never> => E.left({ code: 'log-range', message })

export interface LogProofs {
  /** The root of the tree when it had `size` leaves (size ≤ the current size). */
  readonly rootAt: (size: number) => Promise<E.Either<LogError, Uint8Array>>
  readonly inclusionProof: (index: number, size: number) => Promise<E.Either<LogError, LogProof>>
  readonly consistencyProof: (from: number, to: number) => Promise<E.Either<LogError, LogProof>>
}

export interface StoredTree {
  readonly sha256: Sha256
  /** The stored hashes of these nodes, by node. */
  readonly loadNodes: (
    nodes: ReadonlyArray<NodeId>,
  ) => Promise<E.Either<StoreError, (node: NodeId) => Uint8Array | undefined>>
  /** The tree's current size. */
  readonly storedSize: () => Promise<E.Either<StoreError, number>>
  /** The error of a node the tree of `size` should have and has not. */
  readonly missingNode: (size: number) => E.Either<StoreError, never>
}

export const logProofs = ({ sha256, loadNodes, storedSize, missingNode }: StoredTree): LogProofs => {
  /** MTH of each range, from the stored nodes of a tree at least `size` leaves large. */
  const hashesOf = async (
    ranges: ReadonlyArray<LeafRange>,
    size: number,
  ): Promise<E.Either<LogError, ReadonlyArray<Uint8Array>>> => {
    const nodes = await loadNodes(nodesOfPlan(ranges))
    if (E.isLeft(nodes)) return nodes
    const hashes = hashesOfPlan(sha256, ranges, nodes.right)
    return hashes === undefined ? missingNode(size) : E.right(hashes)
  }

  const withinTree = async (size: number, what: string): Promise<E.Either<LogError, number>> => {
    if (!Number.isSafeInteger(size) || size < 0) return rangeError(`${what} must be a whole number ≥ 0`)
    const current = await storedSize()
    if (E.isLeft(current)) return current
    if (size > current.right)
      return rangeError(`${what} ${size} is beyond the tree, which has ${current.right} leaves`)
    return E.right(current.right)
  }

  const rootAt: LogProofs['rootAt'] = async (size) => {
    const checked = await withinTree(size, 'size')
    if (E.isLeft(checked)) return checked
    const parts = await hashesOf(
      perfectSubtrees(0, size).map((node) => ({
        lo: node.index * 2 ** node.level,
        hi: (node.index + 1) * 2 ** node.level,
      })),
      size,
    )
    return E.isLeft(parts) ? parts : E.right(foldSubtrees(sha256, parts.right))
  }

  const inclusionProof: LogProofs['inclusionProof'] = async (index, size) => {
    const checked = await withinTree(size, 'size')
    if (E.isLeft(checked)) return checked
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      return rangeError(`index ${index} is not a leaf of a tree of ${size} (0 ≤ index < size)`)
    const hashes = await hashesOf(inclusionProofPlan(index, size), size)
    if (E.isLeft(hashes)) return hashes
    return E.right({ treeSize: size, leafIndex: index, hashes: hashes.right.map(toBase64) })
  }

  const consistencyProof: LogProofs['consistencyProof'] = async (from, to) => {
    const checked = await withinTree(to, 'to')
    if (E.isLeft(checked)) return checked
    // RFC 9162 §2.1.4 proves trees of 0 < m ≤ n leaves (Go's tlog refuses m = 0 as invalid input):
    // the empty tree needs no proof, every tree extends it.
    if (from === 0)
      return rangeError(
        'from 0: the empty tree needs no proof, every tree extends it (RFC 9162 §2.1.4 proves from 1 leaf)',
      )
    if (!Number.isSafeInteger(from) || from < 1 || from > to)
      return rangeError(`from ${from} must be a tree size from 1 to ${to}`)
    const hashes = await hashesOf(consistencyProofPlan(from, to), to)
    if (E.isLeft(hashes)) return hashes
    return E.right({ treeSize: to, hashes: hashes.right.map(toBase64) })
  }

  return { rootAt, inclusionProof, consistencyProof }
}
