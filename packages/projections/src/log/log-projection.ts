/**
 * The transparency log of DESIGN §9 as a projection: it reads the store's global order from its
 * checkpoint, appends leaf i = the i-th event's `hash` (32 bytes) to the RFC 9162 tree, and commits
 * the nodes the page completed, the tree's size and root, and the new checkpoint in one transaction
 * of a `ReadModelStore` (the SQLite file's or PostgreSQL's read-model tables, beside the views).
 * Why that is enough:
 * 1. Leaf indexes are dense and in global order: the store's `readAll` never skips an event that
 *    commits late with a lower position (the port's guarantee), and the tree counts the events it
 *    appended, not their positions, so gaps between positions leave no gap between leaves.
 * 2. Never a leaf twice or missing: the nodes, the size and the checkpoint move in one commit that
 *    requires the checkpoint it started from (`expected`), so a crash leaves the log at a committed
 *    page, and a second follower that got there first makes this one's commit a conflict (nothing
 *    written) and it re-reads from the new checkpoint.
 * 3. Nodes are perfect subtrees, written once and never changed as the tree grows (merkle.ts); the
 *    tree resumes from the ≤ log₂ n nodes of its right edge.
 * Signed checkpoints are kept in the same store, every one (DESIGN §9), under their tree size and
 * their signer — the key's verifier key string and the origin line — and the latest of each signer
 * beside them. So a note of another origin or key (`elicence log checkpoint --origin …`, or a key of
 * another log) is kept beside the service's, never in its place, and `latestCheckpoint(signer,
 * origin)` gives only what that key signed for that origin: the service publishes its own notes.
 * A key has no space in its verifier key string, so `<size> <key> <origin>` cannot be read two ways.
 * (Checkpoints that earlier versions kept under the size alone stay listed; the service signs its
 * tree anew once.)
 *
 * @example
 * const log = transparencyLog({ events: store, readModels, sha256 })
 * await log.catchUp()                                         // Either<StoreError, TreeHead>
 * await log.signCheckpoint(logSigner)                         // the signed note of the current tree
 * await log.inclusionProof(5, 8)                              // Either<LogError, LogProof>
 */
import {
  corruptEvent,
  type EventStore,
  isConcurrencyConflict,
  type StoreError,
  storeFailure,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type {
  DocumentChange,
  Checkpoint as ProjectionCheckpoint,
  ReadModelStore,
} from '../read-models/port.js'
import { checkpointBody } from './checkpoint.js'
import { type LogError, type LogProof, logProofs } from './log-proofs.js'
import {
  edgeNodes,
  hashBytesOfHex,
  hexOfHash,
  leafHash,
  type MerkleAccumulator,
  merkleAccumulator,
  type NodeId,
  nodeKey,
  type Sha256,
} from './merkle.js'
import { signNote } from './note.js'
import type { NoteSigner } from './note-keys.js'

export const logProjection = 'transparency-log'

export const logCollections = {
  /** Perfect subtrees by `level/index`, each a hex hash. */
  nodes: 'log-nodes',
  /** `head`: the tree's size and root; `latest-checkpoint <signer>`: the last one each signer signed. */
  tree: 'log-tree',
  /** Every signed checkpoint, keyed by its tree size (zero-padded, so keys sort by size) and signer. */
  checkpoints: 'log-checkpoints',
} as const

const headKey = 'head'
const latestCheckpointKey = 'latest-checkpoint'

export interface TreeHead {
  readonly size: number
  readonly root: Uint8Array
  /** The global position of the last event in the tree; 0 for the empty tree. */
  readonly position: number
}

export interface StoredCheckpoint {
  readonly size: number
  /** The signed note. */
  readonly note: string
  readonly signedAt: string
}

export interface TransparencyLogOptions {
  /** The events; with `headPosition`, a catch-up stops at the head it found when it began. */
  readonly events: Pick<EventStore, 'readAll' | 'headPosition'>
  readonly readModels: ReadModelStore
  readonly sha256: Sha256
  /** The projection its nodes and checkpoint are kept under; default `transparency-log`. */
  readonly projection?: string
  /** Events per transaction; default 500. */
  readonly batchSize?: number
  readonly clock?: () => Date
}

export interface TransparencyLog {
  /** Appends at most one page of events. */
  readonly step: () => Promise<E.Either<StoreError, { readonly appended: number; readonly head: TreeHead }>>
  /**
   * Appends every event committed before the call: up to the store's head as it was then
   * (`headPosition`), or, for a store without one, until a page comes back short of a full one or
   * empty. Events committed meanwhile are the next call's: under a steady stream of commands a
   * catch-up that chased the head would never end, and everything waiting on it (the log's routes,
   * its signer) with it.
   */
  readonly catchUp: () => Promise<E.Either<StoreError, TreeHead>>
  /** The tree as stored, without reading the events. */
  readonly head: () => Promise<E.Either<StoreError, TreeHead>>
  /** The root of the tree when it had `size` leaves (size ≤ the current size). */
  readonly rootAt: (size: number) => Promise<E.Either<LogError, Uint8Array>>
  readonly inclusionProof: (index: number, size: number) => Promise<E.Either<LogError, LogProof>>
  readonly consistencyProof: (from: number, to: number) => Promise<E.Either<LogError, LogProof>>
  /**
   * Signs the stored tree (origin: the key's name) and keeps it; the same tree is not signed twice
   * by one key for one origin, and no checkpoint kept is ever replaced.
   */
  readonly signCheckpoint: (
    signer: NoteSigner,
    origin?: string,
  ) => Promise<E.Either<StoreError, StoredCheckpoint>>
  /** The last checkpoint `signer`'s key signed for `origin` (default the key's name), or null. */
  readonly latestCheckpoint: (
    signer: Pick<NoteSigner, 'name' | 'verifierKey'>,
    origin?: string,
  ) => Promise<E.Either<StoreError, StoredCheckpoint | null>>
  /** Every checkpoint signed, by any key for any origin, smallest tree first. */
  readonly checkpoints: () => Promise<E.Either<StoreError, ReadonlyArray<StoredCheckpoint>>>
  /** The stored hashes of these perfect subtrees (undefined where there is none). */
  readonly nodes: (
    nodes: ReadonlyArray<NodeId>,
  ) => Promise<E.Either<StoreError, ReadonlyArray<Uint8Array | undefined>>>
}

const sizeKey = (size: number): string => String(size).padStart(16, '0')

/** Whose a checkpoint is: the signing key (its whole verifier key string) and the origin it signs. */
const signedBy = (signer: Pick<NoteSigner, 'verifierKey'>, origin: string): string =>
  `${signer.verifierKey} ${origin}`

const attempts = 5

export const transparencyLog = (options: TransparencyLogOptions): TransparencyLog => {
  const { events, readModels, sha256 } = options
  const projection = options.projection ?? logProjection
  const batchSize = options.batchSize ?? 500
  const clock = options.clock ?? (() => new Date())
  // The tree as of a committed checkpoint, so a follower does not re-read its edge every page.
  let cached: { readonly position: number; readonly tree: MerkleAccumulator } | undefined

  const loadNodes = async (
    nodes: ReadonlyArray<NodeId>,
  ): Promise<E.Either<StoreError, (node: NodeId) => Uint8Array | undefined>> => {
    const loaded = await readModels.load(projection, logCollections.nodes, nodes.map(nodeKey))
    if (E.isLeft(loaded)) return loaded
    return E.right((node) => {
      return hashBytesOfHex(loaded.right.get(nodeKey(node)))
    })
  }

  const storedSize = async (): Promise<E.Either<StoreError, number>> => {
    const loaded = await readModels.load(projection, logCollections.tree, [headKey])
    if (E.isLeft(loaded)) return loaded
    const head = loaded.right.get(headKey) as { size?: unknown } | undefined
    return E.right(typeof head?.size === 'number' ? head.size : 0)
  }

  const missingNode = (size: number) =>
    E.left(corruptEvent(`$${projection}`, size, 'a node of the stored tree is missing'))

  const treeAt = async (
    checkpoint: ProjectionCheckpoint,
  ): Promise<E.Either<StoreError, MerkleAccumulator>> => {
    if (cached !== undefined && cached.position === checkpoint.position) return E.right(cached.tree)
    const size = await storedSize()
    if (E.isLeft(size)) return size
    const edge = edgeNodes(size.right)
    const nodes = await loadNodes(edge)
    if (E.isLeft(nodes)) return nodes
    const hashes = edge.map(nodes.right)
    if (hashes.some((hash) => hash === undefined)) return missingNode(size.right)
    return E.right(merkleAccumulator(sha256, { size: size.right, edge: hashes as Uint8Array[] }))
  }

  const head = async (): Promise<E.Either<StoreError, TreeHead>> => {
    const checkpoint = await readModels.loadCheckpoint(projection)
    if (E.isLeft(checkpoint)) return checkpoint
    const tree = await treeAt(checkpoint.right)
    if (E.isLeft(tree)) return tree
    return E.right({ size: tree.right.size(), root: tree.right.root(), position: checkpoint.right.position })
  }

  /**
   * Whether the event the tree's last leaf is still the store's at that position, with that hash.
   * Leaves follow the store by position: were that event deleted, or moved to a later position
   * (an insider's edit of the store), the tree would sign a history the store no longer has —
   * one leaf more than its events, or the moved event twice. Checked before the tree grows or is
   * signed; the audit (`log-truncated`, `checkpoint-mismatch`) finds what happened.
   */
  const lastLeafHeld = async (checkpoint: ProjectionCheckpoint): Promise<E.Either<StoreError, void>> => {
    if (checkpoint.position === 0) return E.right(undefined)
    const read = await events.readAll({ after: checkpoint.position - 1, limit: 1 })
    if (E.isLeft(read)) return read
    const event = read.right.events[0]
    if (event?.position === checkpoint.position && event.metadata?.hash === checkpoint.hash)
      return E.right(undefined)
    return E.left(
      corruptEvent(
        checkpoint.streamId ?? `$${projection}`,
        checkpoint.version ?? -1,
        `the event of the log's last leaf (position ${checkpoint.position}) is no longer in the store as it was appended: the history under the log changed, so nothing more is appended to the tree or signed (elicence audit --store finds what changed)`,
      ),
    )
  }

  const step: TransparencyLog['step'] = async () => {
    const checkpoint = await readModels.loadCheckpoint(projection)
    if (E.isLeft(checkpoint)) return checkpoint
    const read = await events.readAll({ after: checkpoint.right.position, limit: batchSize })
    if (E.isLeft(read)) return read
    const loaded = await treeAt(checkpoint.right)
    if (E.isLeft(loaded)) return loaded
    const tree = loaded.right
    if (read.right.events.length === 0)
      return E.right({
        appended: 0,
        head: { size: tree.size(), root: tree.root(), position: checkpoint.right.position },
      })
    const held = await lastLeafHeld(checkpoint.right)
    if (E.isLeft(held)) return held
    // The accumulator is changed below: until the commit holds, no cached tree is trusted.
    cached = undefined
    const changes: DocumentChange[] = []
    let last = read.right.events[0]
    for (const event of read.right.events) {
      const data = hashBytesOfHex(event.metadata?.hash)
      if (data === undefined)
        return E.left(corruptEvent(event.streamId, event.version, 'its hash is not 64 hex digits'))
      for (const node of tree.append(leafHash(sha256, data)))
        changes.push({
          collection: logCollections.nodes,
          key: nodeKey(node),
          doc: hexOfHash(node.hash),
          sortKey: null,
        })
      last = event
    }
    const root = tree.root()
    changes.push({
      collection: logCollections.tree,
      key: headKey,
      doc: { size: tree.size(), root: hexOfHash(root) },
      sortKey: null,
    })
    const next: ProjectionCheckpoint = {
      position: last?.position ?? checkpoint.right.position,
      streamId: last?.streamId ?? null,
      version: last?.version ?? null,
      hash: last?.metadata.hash ?? null,
    }
    const committed = await readModels.commit(projection, changes, {
      expected: checkpoint.right.position,
      next,
    })
    if (E.isLeft(committed)) {
      if (!isConcurrencyConflict(committed.left)) return committed
      // Another follower appended this page first: re-read from its checkpoint.
      const current = await head()
      return E.isLeft(current) ? current : E.right({ appended: 0, head: current.right })
    }
    cached = { position: next.position, tree }
    return E.right({
      appended: read.right.events.length,
      head: { size: tree.size(), root, position: next.position },
    })
  }

  const catchUp: TransparencyLog['catchUp'] = async () => {
    const target = events.headPosition === undefined ? undefined : await events.headPosition()
    if (target !== undefined && E.isLeft(target)) return target
    for (;;) {
      const stepped = await step()
      if (E.isLeft(stepped)) return stepped
      const { appended, head: reached } = stepped.right
      if (target !== undefined ? reached.position >= target.right : appended > 0 && appended < batchSize)
        return E.right(reached)
      if (appended === 0) {
        // Nothing read, or another follower appended this page first: done unless there is more.
        const next = await events.readAll({ after: reached.position, limit: 1 })
        if (E.isLeft(next)) return next
        if (next.right.events.length === 0) return E.right(reached)
      }
    }
  }

  const { rootAt, inclusionProof, consistencyProof } = logProofs({
    sha256,
    loadNodes,
    storedSize,
    missingNode,
  })

  const latestCheckpoint: TransparencyLog['latestCheckpoint'] = async (signer, origin = signer.name) => {
    const key = `${latestCheckpointKey} ${signedBy(signer, origin)}`
    const loaded = await readModels.load(projection, logCollections.tree, [key])
    if (E.isLeft(loaded)) return loaded
    return E.right((loaded.right.get(key) as StoredCheckpoint | undefined) ?? null)
  }

  const signCheckpoint: TransparencyLog['signCheckpoint'] = async (signer, origin = signer.name) => {
    for (let attempt = 1; ; attempt++) {
      const checkpoint = await readModels.loadCheckpoint(projection)
      if (E.isLeft(checkpoint)) return checkpoint
      const tree = await treeAt(checkpoint.right)
      if (E.isLeft(tree)) return tree
      const latest = await latestCheckpoint(signer, origin)
      if (E.isLeft(latest)) return latest
      const held = await lastLeafHeld(checkpoint.right)
      if (E.isLeft(held)) return held
      const size = tree.right.size()
      if (latest.right !== null && latest.right.size === size) return E.right(latest.right)
      // A bad origin is refused here, never signed: one with a newline would sign another size and root.
      const body = checkpointBody({ origin, size, root: tree.right.root() })
      if (E.isLeft(body)) return E.left(storeFailure(`cannot sign the checkpoint: ${body.left}`))
      const note = await signNote(body.right, [signer])
      // The body is ours and the key is an Ed25519 note key: this fails only with a broken key.
      if (E.isLeft(note)) return E.left(storeFailure(`cannot sign the checkpoint: ${note.left}`))
      const stored: StoredCheckpoint = { size, note: note.right, signedAt: clock().toISOString() }
      const committed = await readModels.commit(
        projection,
        [
          {
            collection: logCollections.checkpoints,
            key: `${sizeKey(size)} ${signedBy(signer, origin)}`,
            doc: stored,
            sortKey: null,
          },
          {
            collection: logCollections.tree,
            key: `${latestCheckpointKey} ${signedBy(signer, origin)}`,
            doc: stored,
            sortKey: null,
          },
        ],
        { expected: checkpoint.right.position, next: checkpoint.right },
      )
      if (E.isRight(committed)) return E.right(stored)
      // The tree grew while signing: sign the new one.
      if (!isConcurrencyConflict(committed.left) || attempt >= attempts) return committed
    }
  }

  const checkpoints: TransparencyLog['checkpoints'] = async () => {
    const listed = await readModels.list(projection, logCollections.checkpoints)
    if (E.isLeft(listed)) return listed
    return E.right(listed.right.map((document) => document.doc as StoredCheckpoint))
  }

  const nodes: TransparencyLog['nodes'] = async (ids) => {
    const loaded = await loadNodes(ids)
    return E.isLeft(loaded) ? loaded : E.right(ids.map(loaded.right))
  }

  return {
    step,
    catchUp,
    head,
    rootAt,
    inclusionProof,
    consistencyProof,
    signCheckpoint,
    latestCheckpoint,
    checkpoints,
    nodes,
  }
}
