/**
 * The Merkle tree of RFC 9162 §2.1 (RFC 6962's, with SHA-256): leaf hash SHA-256(0x00 ‖ data),
 * node hash SHA-256(0x01 ‖ left ‖ right), the tree of n leaves split at the largest power of two
 * below n. Pure: the SHA-256 is passed in (node:crypto's in Node, any synchronous one elsewhere).
 *
 * A tree is stored as its perfect subtrees — node (level, index) covers leaves
 * [index·2^level, (index+1)·2^level) — which are written once and never change as the log grows.
 * Every hash a proof needs, the hash of a leaf range [lo, hi) that the RFC's recursion reaches, is
 * a fold of at most log₂ n of them, so `inclusionProof` and `consistencyProof` name the nodes they
 * need (`inclusionProofPlan`, `consistencyProofPlan`) and a store hands them over; merkle-verify.ts
 * checks them.
 *
 * @example
 * const tree = merkleAccumulator(sha256)
 * for (const data of leaves) tree.append(leafHash(sha256, data))
 * const plan = inclusionProofPlan(2, tree.size)          // node ranges the proof folds
 * const hashes = hashesOfPlan(sha256, plan, (node) => stored.get(nodeKey(node)))
 */

/** A synchronous SHA-256 over bytes. */
export type Sha256 = (data: Uint8Array) => Uint8Array

export const hashSize = 32

const leafPrefix = Uint8Array.of(0)

export const leafHash = (sha256: Sha256, data: Uint8Array): Uint8Array => {
  const input = new Uint8Array(1 + data.length)
  input.set(leafPrefix, 0)
  input.set(data, 1)
  return sha256(input)
}

export const nodeHash = (sha256: Sha256, left: Uint8Array, right: Uint8Array): Uint8Array => {
  const input = new Uint8Array(1 + left.length + right.length)
  input[0] = 1
  input.set(left, 1)
  input.set(right, 1 + left.length)
  return sha256(input)
}

/** The value of each lowercase hex digit by character code; -1 for every other character below 128. */
const hexDigitValues = Int8Array.from({ length: 128 }, (_, code) =>
  code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1,
)

/**
 * The 32 bytes of a SHA-256 written as 64 lowercase hex digits (an event's `hash`, a leaf's data,
 * a stored node); undefined for anything else.
 */
export const hashBytesOfHex = (value: unknown): Uint8Array | undefined => {
  const bytes = new Uint8Array(hashSize)
  return writeHashBytesOfHex(value, bytes, 0) ? bytes : undefined
}

/**
 * `hashBytesOfHex` into `target` from `offset`, for a reader that reuses one buffer; false (and
 * `target` partly written) for anything but 64 lowercase hex digits.
 */
export const writeHashBytesOfHex = (value: unknown, target: Uint8Array, offset: number): boolean => {
  if (typeof value !== 'string' || value.length !== 2 * hashSize) return false
  // By character code rather than a pattern and parseInt of each pair: the auditor reads one per event.
  for (let at = 0; at < hashSize; at++) {
    const high = hexDigitValues[value.charCodeAt(2 * at)] ?? -1
    const low = hexDigitValues[value.charCodeAt(2 * at + 1)] ?? -1
    if (high < 0 || low < 0) return false
    target[offset + at] = high * 16 + low
  }
  return true
}

const hexDigits = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** A hash as 64 lowercase hex digits, as nodes are stored (the inverse of `hashBytesOfHex`). */
export const hexOfHash = (bytes: Uint8Array): string => {
  let hex = ''
  for (const byte of bytes) hex += hexDigits[byte]
  return hex
}

/** MTH({}) = SHA-256 of the empty string. */
export const emptyRoot = (sha256: Sha256): Uint8Array => sha256(new Uint8Array(0))

/** A perfect subtree: the 2^level leaves from index·2^level. */
export interface NodeId {
  readonly level: number
  readonly index: number
}

export interface StoredNode extends NodeId {
  readonly hash: Uint8Array
}

/** The largest power of two strictly below n (n ≥ 2), the RFC's k. */
const splitPoint = (n: number): number => {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * The perfect subtrees that make up leaves [lo, hi), largest first. For the ranges the RFC's
 * recursion reaches (lo a multiple of a power of two at least hi − lo), each is aligned.
 */
export const perfectSubtrees = (lo: number, hi: number): ReadonlyArray<NodeId> => {
  const nodes: NodeId[] = []
  let start = lo
  while (start < hi) {
    let level = 0
    // The largest aligned subtree that starts at `start` and fits below `hi`.
    while (start % 2 ** (level + 1) === 0 && start + 2 ** (level + 1) <= hi) level++
    nodes.push({ level, index: start / 2 ** level })
    start += 2 ** level
  }
  return nodes
}

/** MTH(D[lo:hi]) from the hashes of its perfect subtrees, in `perfectSubtrees` order. */
export const foldSubtrees = (sha256: Sha256, hashes: ReadonlyArray<Uint8Array>): Uint8Array => {
  let folded = hashes[hashes.length - 1]
  if (folded === undefined) return emptyRoot(sha256)
  for (let at = hashes.length - 2; at >= 0; at--) folded = nodeHash(sha256, hashes[at] as Uint8Array, folded)
  return folded
}

/** A range of leaves whose MTH is one entry of a proof. */
export interface LeafRange {
  readonly lo: number
  readonly hi: number
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, deepest first. */
export const inclusionProofPlan = (index: number, size: number): ReadonlyArray<LeafRange> => {
  const path: LeafRange[] = []
  const walk = (m: number, lo: number, hi: number) => {
    if (hi - lo <= 1) return
    const k = splitPoint(hi - lo)
    if (m < k) {
      walk(m, lo, lo + k)
      path.push({ lo: lo + k, hi })
    } else {
      walk(m - k, lo + k, hi)
      path.push({ lo, hi: lo + k })
    }
  }
  walk(index, 0, size)
  return path
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) as leaf ranges, in proof order; empty for m = 0 or m = n. */
export const consistencyProofPlan = (from: number, to: number): ReadonlyArray<LeafRange> => {
  const proof: LeafRange[] = []
  if (from === 0 || from >= to) return proof
  const subproof = (m: number, lo: number, hi: number, whole: boolean) => {
    if (m === hi - lo) {
      if (!whole) proof.push({ lo, hi })
      return
    }
    const k = splitPoint(hi - lo)
    if (m <= k) {
      subproof(m, lo, lo + k, whole)
      proof.push({ lo: lo + k, hi })
    } else {
      subproof(m - k, lo + k, hi, false)
      proof.push({ lo, hi: lo + k })
    }
  }
  subproof(from, 0, to, true)
  return proof
}

/** Every stored node the ranges fold, each once, e.g. to load them in one query. */
export const nodesOfPlan = (ranges: ReadonlyArray<LeafRange>): ReadonlyArray<NodeId> => {
  const seen = new Map<string, NodeId>()
  for (const range of ranges)
    for (const node of perfectSubtrees(range.lo, range.hi)) seen.set(nodeKey(node), node)
  return [...seen.values()]
}

/** How a node is named in storage: `level/index`. */
export const nodeKey = (node: NodeId): string => `${node.level}/${node.index}`

/** The proof's hashes from the stored nodes; undefined when one is missing. */
export const hashesOfPlan = (
  sha256: Sha256,
  ranges: ReadonlyArray<LeafRange>,
  nodes: (node: NodeId) => Uint8Array | undefined,
): ReadonlyArray<Uint8Array> | undefined => {
  const hashes: Uint8Array[] = []
  for (const range of ranges) {
    const parts: Uint8Array[] = []
    for (const node of perfectSubtrees(range.lo, range.hi)) {
      const hash = nodes(node)
      if (hash === undefined) return undefined
      parts.push(hash)
    }
    hashes.push(foldSubtrees(sha256, parts))
  }
  return hashes
}

/**
 * The right edge of a growing tree (a "compact range"): the roots of its perfect subtrees, one per
 * set bit of the size. Appending a leaf gives the nodes it completes, to be stored; the root of the
 * tree of every size so far is a fold of the edge.
 */
export interface MerkleAccumulator {
  readonly size: () => number
  /** Appends a leaf hash; returns the nodes it completes, the leaf itself first. */
  readonly append: (leafHash: Uint8Array) => ReadonlyArray<StoredNode>
  readonly root: () => Uint8Array
  /** The edge's nodes, largest first: what a store must keep to resume the tree. */
  readonly edge: () => ReadonlyArray<StoredNode>
}

/** The nodes a tree of `size` leaves has on its right edge, largest first. */
export const edgeNodes = (size: number): ReadonlyArray<NodeId> => perfectSubtrees(0, size)

/** An empty tree, or one of `resume.size` leaves resumed from the hashes of its `edgeNodes(size)`. */
export const merkleAccumulator = (
  sha256: Sha256,
  resume?: { readonly size: number; readonly edge: ReadonlyArray<Uint8Array> },
): MerkleAccumulator => {
  let size = resume?.size ?? 0
  // Largest first, as `edgeNodes(size)`.
  const stack: StoredNode[] = []
  if (resume !== undefined) {
    const nodes = edgeNodes(size)
    if (nodes.length !== resume.edge.length)
      throw new RangeError(
        `a tree of ${size} leaves has ${nodes.length} edge nodes, not ${resume.edge.length}`,
      )
    for (const [at, node] of nodes.entries()) stack.push({ ...node, hash: resume.edge[at] as Uint8Array })
  }
  return {
    size: () => size,
    append: (hash) => {
      const completed: StoredNode[] = [{ level: 0, index: size, hash }]
      let node: StoredNode = completed[0] as StoredNode
      for (;;) {
        const top = stack[stack.length - 1]
        if (top === undefined || top.level !== node.level) break
        stack.pop()
        node = { level: node.level + 1, index: top.index / 2, hash: nodeHash(sha256, top.hash, node.hash) }
        completed.push(node)
      }
      stack.push(node)
      size++
      return completed
    },
    root: () =>
      foldSubtrees(
        sha256,
        stack.map((node) => node.hash),
      ),
    edge: () => [...stack],
  }
}

/** MTH over leaf hashes, straight from the RFC's definition (tests, small trees). */
export const rootOfLeafHashes = (sha256: Sha256, leaves: ReadonlyArray<Uint8Array>): Uint8Array => {
  const mth = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leaves[lo] as Uint8Array
    const k = splitPoint(hi - lo)
    return nodeHash(sha256, mth(lo, lo + k), mth(lo + k, hi))
  }
  return leaves.length === 0 ? emptyRoot(sha256) : mth(0, leaves.length)
}

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let at = 0; at < a.length; at++) if (a[at] !== b[at]) return false
  return true
}
