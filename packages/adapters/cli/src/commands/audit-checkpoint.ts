/**
 * `elicence audit … --checkpoint FILE --log-key FILE [--witness-key FILE …]`: the history checked
 * against a signed checkpoint of the transparency log (DESIGN §9). The checkpoint must verify with
 * the log key and carry a valid cosignature of every witness key given; the history's tree at the
 * checkpoint's size must have the signed root. Each failure is an anomaly of the audit (exit 1).
 * With a store whose log projection is kept beside it and still has the signed root, the first
 * event that differs is named by stream, version and position.
 *
 * @example
 * const check = await checkpointAudit({ checkpoint: 'cp.txt', logKey: 'log.vkey', witnessKeys: [] }, { keepLeaves: false })
 * for await (const event of check.observed(events)) …
 * const anomalies = await check.anomalies(reference, eventAt)
 */
import { readFileSync } from 'node:fs'
import { type EventStore, type StoredEvent, storedPages } from '@elicence/domain'
import { readVerifierKeyFile } from '@elicence/http'
import {
  type AuditAnomaly,
  type AuditReport,
  checkpointOriginProblem,
  decodeNote,
  type HistoryTreeCheck,
  historyTreeCheck,
  keyNameAndId,
  logProjection,
  noteKeyTypes,
  openCheckpoint,
  type ReadModelStore,
  type ReferenceNodes,
  toBase64,
  transparencyLog,
  verifyCosignatures,
} from '@elicence/projections'
import { nodeSha256 } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'

export interface CheckpointAuditFiles {
  readonly checkpoint: string
  readonly logKey: string
  /** The origin line the checkpoint must have; default the log key's name. */
  readonly origin?: string
  readonly witnessKeys: ReadonlyArray<string>
}

/** What of the checkpoint verified, for the report: a pass must say what it was checked against. */
export interface CheckpointChecked {
  readonly size: number
  readonly origin: string
  /** The signed root, base64. */
  readonly root: string
  /** The log key that signed it, `name+keyid`. */
  readonly logKey: string
  /** The witness keys whose cosignatures verified, `name+keyid`. */
  readonly cosignedBy: ReadonlyArray<string>
}

export interface CheckpointAudit {
  /** The checkpoint as verified; undefined when it did not verify (an anomaly says why). */
  readonly checked: CheckpointChecked | undefined
  /** The events, passed through to the audit, each a leaf of the rebuilt tree. */
  readonly observed: <Entry>(entries: AsyncIterable<Entry> | Iterable<Entry>) => AsyncGenerator<Entry>
  /** The next leaf of the rebuilt tree, hashed by the reader (`auditPartitioned`'s `onLeaf`). */
  readonly observeLeaf: (leafHash: Uint8Array) => void
  /** What the check found; `eventAt` names the event of a leaf index. */
  readonly anomalies: (
    reference?: ReferenceNodes,
    eventAt?: (
      leafIndex: number,
    ) => Promise<Pick<StoredEvent, 'streamId' | 'version' | 'position'> | undefined>,
  ) => Promise<ReadonlyArray<AuditAnomaly>>
}

const anomalyOf = (
  kind: AuditAnomaly['kind'],
  message: string,
  at?: Pick<StoredEvent, 'streamId' | 'version' | 'position'>,
): AuditAnomaly => ({
  streamId: at?.streamId ?? '',
  version: at?.version ?? -1,
  position: at?.position ?? null,
  kind,
  message,
})

/**
 * Reads the files; a file that cannot be read or a key that is not a key is the caller's input
 * (Left, exit 2). A checkpoint that does not verify is an anomaly of the audit, not an input error.
 */
export const checkpointAudit = async (
  files: CheckpointAuditFiles,
  options: { readonly keepLeaves: boolean },
): Promise<E.Either<string, CheckpointAudit>> => {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(files.checkpoint)
  } catch (error) {
    return E.left(
      `cannot read ${files.checkpoint}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const originProblem = files.origin === undefined ? undefined : checkpointOriginProblem(files.origin)
  if (originProblem !== undefined) return E.left(`--origin ${JSON.stringify(files.origin)}: ${originProblem}`)
  const logKey = await readVerifierKeyFile(files.logKey)
  if (E.isLeft(logKey)) return logKey
  if (logKey.right.type !== noteKeyTypes.ed25519) return E.left(`${files.logKey}: not a log key (type 0x01)`)
  const witnesses = []
  for (const file of files.witnessKeys) {
    const key = await readVerifierKeyFile(file)
    if (E.isLeft(key)) return key
    if (key.right.type !== noteKeyTypes.cosignatureV1) return E.left(`${file}: not a witness key (type 0x04)`)
    witnesses.push(key.right)
  }

  const problems: AuditAnomaly[] = []
  let checked: CheckpointChecked | undefined
  // Bytes as they are: invalid UTF-8 is what is wrong with the checkpoint, not made U+FFFD.
  const note = decodeNote(bytes)
  const opened = E.isLeft(note)
    ? note
    : await openCheckpoint(note.right, logKey.right, files.origin ?? logKey.right.name)
  if (E.isLeft(opened)) problems.push(anomalyOf('checkpoint-invalid', `${files.checkpoint}: ${opened.left}`))
  else {
    const cosigned = await verifyCosignatures(opened.right.note, witnesses)
    if (E.isLeft(cosigned))
      problems.push(anomalyOf('checkpoint-invalid', `${files.checkpoint}: ${cosigned.left}`))
    // By name and key ID, which together name a key (C2SP signed-note): another key of the
    // same name cosigning does not count for this one.
    else {
      const cosignedBy: string[] = []
      for (const witness of witnesses)
        if (!cosigned.right.some((found) => found.witness === witness.name && found.keyId === witness.keyId))
          problems.push(
            anomalyOf(
              'checkpoint-invalid',
              `${files.checkpoint}: no cosignature of the witness key ${keyNameAndId(witness)}`,
            ),
          )
        else cosignedBy.push(keyNameAndId(witness))
      checked = {
        size: opened.right.size,
        origin: opened.right.origin,
        root: toBase64(opened.right.root),
        logKey: keyNameAndId(logKey.right),
        cosignedBy,
      }
    }
  }
  // A root that no valid signature vouches for says nothing about the history: not compared.
  const check: HistoryTreeCheck | undefined = E.isRight(opened)
    ? historyTreeCheck(nodeSha256, opened.right, { keepLeaves: options.keepLeaves })
    : undefined

  return E.right({
    checked,
    observed: async function* (events) {
      for await (const event of events) {
        check?.observe(event)
        yield event
      }
    },
    observeLeaf: (leaf) => check?.observeLeaf(leaf),
    anomalies: async (reference, eventAt) => {
      if (check === undefined) return problems
      const found = await check.finish(reference)
      const named: AuditAnomaly[] = []
      for (const finding of found) {
        const at =
          finding.leafIndex === null || eventAt === undefined ? undefined : await eventAt(finding.leafIndex)
        named.push(anomalyOf(finding.kind, finding.message, at))
      }
      return [...problems, ...named]
    },
  })
}

/** The anomalies join the report, so its counts and exit status cover them. */
export const withAnomalies = (report: AuditReport, anomalies: ReadonlyArray<AuditAnomaly>): AuditReport => {
  if (anomalies.length === 0) return report
  const anomaliesByKind = { ...report.counts.anomaliesByKind }
  for (const anomaly of anomalies) anomaliesByKind[anomaly.kind] = (anomaliesByKind[anomaly.kind] ?? 0) + 1
  return {
    ...report,
    counts: { ...report.counts, anomalies: report.counts.anomalies + anomalies.length, anomaliesByKind },
    anomalies: [...anomalies, ...report.anomalies],
  }
}

/** The event at a leaf index: the index-th event of the store's global order. */
const eventAtLeaf = async (store: EventStore, leafIndex: number): Promise<StoredEvent | undefined> => {
  let seen = 0
  for await (const page of storedPages(store, { pageSize: 1000 })) {
    if (E.isLeft(page)) return undefined
    const event = page.right.events[leafIndex - seen]
    if (event !== undefined) return event
    seen += page.right.events.length
  }
  return undefined
}

/**
 * The checkpoint's findings over a store; the log projection kept beside it, when its root is the
 * signed one, tells which event differs first.
 */
export const storeLogAnomalies = (
  check: CheckpointAudit,
  store: EventStore,
  readModels: ReadModelStore | undefined,
): Promise<ReadonlyArray<AuditAnomaly>> => {
  const log =
    readModels === undefined ? undefined : transparencyLog({ events: store, readModels, sha256: nodeSha256 })
  return check.anomalies(
    log === undefined
      ? undefined
      : async (nodes) => {
          const found = await log.nodes(nodes)
          return E.isRight(found) ? found.right : nodes.map(() => undefined)
        },
    (leafIndex) => eventAtLeaf(store, leafIndex),
  )
}

/**
 * What the transparency log kept beside a store says of the history, with no checkpoint file or log
 * key given (`audit --store` alone): the event its projection reached (position and hash) must be
 * in the history, and the history must have as many events as the largest checkpoint kept there
 * signed. A history cut off, or rewritten at that event, after the service logged it is then an
 * anomaly even where no read model of the views was kept, or they had not caught up. The
 * signatures and roots are checked against a checkpoint and key given (`--checkpoint`); an insider
 * who also rewrites these records is caught only there.
 */
export const keptLogAnomalies = async (
  store: EventStore,
  readModels: ReadModelStore | undefined,
  events: number,
): Promise<E.Either<string, ReadonlyArray<AuditAnomaly>>> => {
  if (readModels === undefined) return E.right([])
  const anomalies: AuditAnomaly[] = []
  const reached = await readModels.loadCheckpoint(logProjection)
  if (E.isLeft(reached)) return E.left(reached.left.message)
  const { position, hash } = reached.right
  if (position > 0) {
    const read = await store.readAll({ after: position - 1, limit: 1 })
    if (E.isLeft(read)) return E.left(read.left.message)
    const event = read.right.events[0]
    if (event?.position !== position || event.metadata.hash !== hash)
      anomalies.push(
        anomalyOf(
          'checkpoint-mismatch',
          event?.position !== position
            ? `the transparency log kept beside the store reached position ${position}, which the history does not have (cut off?)`
            : `the transparency log kept beside the store reached hash ${hash} at position ${position}, the history has ${event.metadata.hash}`,
          reached.right.streamId === null
            ? undefined
            : { streamId: reached.right.streamId, version: reached.right.version ?? -1, position },
        ),
      )
  }
  // Every checkpoint kept, by whichever key for whichever origin: none may be of a longer history.
  const kept = await transparencyLog({ events: store, readModels, sha256: nodeSha256 }).checkpoints()
  if (E.isLeft(kept)) return E.left(kept.left.message)
  const largest = kept.right.at(-1)
  if (largest !== undefined && largest.size > events)
    anomalies.push(
      anomalyOf(
        'log-truncated',
        `the store keeps a signed checkpoint of ${largest.size} events, and its history has ${events}`,
      ),
    )
  return E.right(anomalies)
}
