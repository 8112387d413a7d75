/**
 * The auditor's check of a history against a signed checkpoint (DESIGN §9): the history's events,
 * in the order read, are the leaves of the RFC 9162 tree; the tree of the checkpoint's size must
 * have the signed root. A history rewritten after the checkpoint was signed — an event edited and
 * its stream re-sealed, a stream's last event dropped, two streams' events swapped in the global
 * order — has another root, whatever its hash chains say. A history longer than the checkpoint is
 * fine (the log grew since); a shorter one is truncated.
 *
 * Which leaf differs can be told only against a tree one trusts: the store's own log projection,
 * when its root at that size is the signed one (`reference`). Then the first differing leaf is
 * found by descending from the root through the subtrees whose hashes differ, and named by its
 * index; the caller names the event at that index.
 *
 * @example
 * const check = historyTreeCheck(sha256, checkpoint)
 * for await (const event of history) check.observe(event)
 * const found = await check.finish(referenceNodes)   // ReadonlyArray<LogFinding>
 */
import type { SignedCheckpoint } from './checkpoint.js'
import {
  equalBytes,
  foldSubtrees,
  hashSize,
  type NodeId,
  nodeHash,
  perfectSubtrees,
  type Sha256,
  writeHashBytesOfHex,
} from './merkle.js'
import { merkleRootAccumulator } from './merkle-root.js'
import { toBase64 } from './note-keys.js'

export const logFindingKinds = ['checkpoint-invalid', 'log-truncated', 'log-mismatch'] as const
export type LogFindingKind = (typeof logFindingKinds)[number]

export interface LogFinding {
  readonly kind: LogFindingKind
  readonly message: string
  /** The first leaf that differs or is missing, when it can be told. */
  readonly leafIndex: number | null
}

/** Hashes of the trusted tree's perfect subtrees; undefined for one it does not have. */
export type ReferenceNodes = (nodes: ReadonlyArray<NodeId>) => Promise<ReadonlyArray<Uint8Array | undefined>>

export interface HistoryTreeCheck {
  /** Every entry of the history, in the order read (global order); untrusted, any shape. */
  readonly observe: (entry: unknown) => void
  /**
   * `observe` for a reader that hashed the leaf itself (`leafOfEntry`), e.g. a partition worker
   * whose leaves were merged back into global order (`globalOrderLeaves`).
   */
  readonly observeLeaf: (leafHash: Uint8Array) => void
  readonly leaves: () => number
  /** The root the history gives the checkpoint's size, or undefined when it is shorter. */
  readonly rootAtCheckpoint: () => Uint8Array | undefined
  readonly finish: (reference?: ReferenceNodes) => Promise<ReadonlyArray<LogFinding>>
}

/**
 * The leaf hash of a history entry: of its `metadata.hash`, or of 32 zero bytes when it has none
 * (an entry without a hash, reported by the chain checks, is still a leaf: the tree is the order's).
 * One input buffer serves every call: a reader hashes one leaf per event.
 */
export const leafHasher = (sha256: Sha256): ((entry: unknown) => Uint8Array) => {
  // RFC 9162's leaf input: 0x00 ‖ the 32 bytes of the hash.
  const input = new Uint8Array(1 + hashSize)
  return (entry) => {
    const hash = (entry as { metadata?: { hash?: unknown } } | null)?.metadata?.hash
    if (!writeHashBytesOfHex(hash, input, 1)) input.fill(0, 1)
    return sha256(input)
  }
}

/** `leafHasher` for one entry. */
export const leafOfEntry = (sha256: Sha256, entry: unknown): Uint8Array => leafHasher(sha256)(entry)

/**
 * `keepLeaves`: keep the leaf hashes of the checkpoint's tree (32 bytes each), so that `finish` can
 * find the first differing leaf against a reference; without, only whether the root matches.
 */
export const historyTreeCheck = (
  sha256: Sha256,
  checkpoint: SignedCheckpoint,
  options: { readonly keepLeaves?: boolean } = {},
): HistoryTreeCheck => {
  const tree = merkleRootAccumulator(sha256)
  const size = checkpoint.size
  let root: Uint8Array | undefined = size === 0 ? tree.root() : undefined
  const kept = options.keepLeaves === true ? new Uint8Array(32 * size) : undefined

  const observeLeaf = (leaf: Uint8Array) => {
    const index = tree.size()
    if (index >= size) return
    kept?.set(leaf, index * 32)
    tree.append(leaf)
    if (index + 1 === size) root = tree.root()
  }
  const leafOf = leafHasher(sha256)
  const observe = (entry: unknown) => {
    if (tree.size() < size) observeLeaf(leafOf(entry))
  }

  /** MTH of the perfect subtree `node` over the kept leaves. */
  const subtreeOfLeaves = (node: NodeId): Uint8Array => {
    const leafAt = (index: number) => (kept as Uint8Array).subarray(index * 32, index * 32 + 32)
    const hash = (level: number, index: number): Uint8Array =>
      level === 0
        ? leafAt(index)
        : nodeHash(sha256, hash(level - 1, index * 2), hash(level - 1, index * 2 + 1))
    return hash(node.level, node.index)
  }

  /** Descends from the subtrees of [0, size) to the first leaf whose hash differs from the reference's. */
  const firstDifferingLeaf = async (reference: ReferenceNodes): Promise<number | null> => {
    const tops = perfectSubtrees(0, size)
    const theirs = await reference(tops)
    let at = tops.findIndex((node, index) => {
      const their = theirs[index]
      return their === undefined || !equalBytes(their, subtreeOfLeaves(node))
    })
    if (at < 0) return null
    let node = tops[at] as NodeId
    while (node.level > 0) {
      const left = { level: node.level - 1, index: node.index * 2 }
      const [theirLeft] = await reference([left])
      at = theirLeft !== undefined && equalBytes(theirLeft, subtreeOfLeaves(left)) ? 1 : 0
      node = { level: node.level - 1, index: node.index * 2 + at }
    }
    return node.index
  }

  const finish: HistoryTreeCheck['finish'] = async (reference) => {
    const leaves = tree.size()
    if (root === undefined)
      return [
        {
          kind: 'log-truncated',
          message: `the checkpoint signs a tree of ${size} events; the history has ${leaves}: leaf ${leaves} onwards is missing`,
          leafIndex: leaves,
        },
      ]
    if (equalBytes(root, checkpoint.root)) return []
    let leafIndex: number | null = null
    if (reference !== undefined && kept !== undefined) {
      // The reference is trusted only if it has the signed root itself.
      const tops = perfectSubtrees(0, size)
      const theirs = await reference(tops)
      if (
        theirs.every((hash) => hash !== undefined) &&
        equalBytes(foldSubtrees(sha256, theirs as Uint8Array[]), checkpoint.root)
      )
        leafIndex = await firstDifferingLeaf(reference)
    }
    return [
      {
        kind: 'log-mismatch',
        message: `the history's first ${size} events have the tree root ${toBase64(root)}, not the signed ${toBase64(checkpoint.root)}: the history was rewritten after the checkpoint${leafIndex === null ? '' : `; leaf ${leafIndex} is the first that differs`}`,
        leafIndex,
      },
    ]
  }

  return { observe, observeLeaf, leaves: () => tree.size(), rootAtCheckpoint: () => root, finish }
}
