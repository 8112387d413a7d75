/**
 * Checkpoints (C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint) and their cosignatures (C2SP
 * tlog-cosignature/v1): a checkpoint's body is the origin line, the tree size in decimal and the
 * root hash in base64, each ending in a newline, then optional extension lines; it is the text of a
 * signed note (note.ts) signed by the log's key. A witness adds a cosignature: an Ed25519 signature
 * (key type 0x04) over `cosignature/v1\ntime <unix seconds>\n` followed by the body, written as
 * the signature line `— <witness> base64(key ID ‖ 8-byte big-endian time ‖ signature)`.
 *
 * @example
 * const body = checkpointBody({ origin: 'example.com/elicence/log', size: 42, root })
 * const note = await signNote(body, [logSigner])
 * const opened = await openCheckpoint(note.right, logVerifier)   // Either<string, SignedCheckpoint>
 * const line = await cosignatureLine(opened.right.text, witnessSigner, Date.now() / 1000)
 */
import * as E from 'fp-ts/lib/Either.js'
import { hashSize } from './merkle.js'
import { keyOfSignature, openNote, parseNote, signatureLine } from './note.js'
import {
  ed25519Sign,
  ed25519Verify,
  fromBase64,
  type NoteSigner,
  type NoteVerifier,
  noteKeyTypes,
  toBase64,
} from './note-keys.js'

export interface Checkpoint {
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
  /** Lines after the root hash, as the log wrote them. */
  readonly extensions: ReadonlyArray<string>
}

export interface SignedCheckpoint extends Checkpoint {
  /** The checkpoint body (the note's text). */
  readonly text: string
  /** The whole note as read. */
  readonly note: string
}

/** The default origin of a service's log: its public host, then `/elicence/log`. */
export const defaultLogOrigin = (publicUrl: string): string => {
  try {
    return `${new URL(publicUrl).host}/elicence/log`
  } catch {
    return `${publicUrl.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '')}/elicence/log`
  }
}

export const checkpointBody = (checkpoint: Omit<Checkpoint, 'extensions'> & Partial<Checkpoint>): string =>
  `${checkpoint.origin}\n${checkpoint.size}\n${toBase64(checkpoint.root)}\n${(checkpoint.extensions ?? []).map((line) => `${line}\n`).join('')}`

/** Reads a checkpoint body; says which line is wrong. */
export const parseCheckpointBody = (text: string): E.Either<string, Checkpoint> => {
  const lines = text.split('\n')
  if (lines.pop() !== '') return E.left('checkpoint: the body does not end in a newline')
  const [origin, size, root, ...extensions] = lines
  if (origin === undefined || origin === '') return E.left('checkpoint: the first line (the origin) is empty')
  if (size === undefined || !/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size)))
    return E.left(`checkpoint: the second line ${JSON.stringify(size ?? '')} is not a tree size in decimal`)
  const rootBytes = root === undefined ? undefined : fromBase64(root)
  if (rootBytes === undefined || rootBytes.length !== hashSize)
    return E.left('checkpoint: the third line is not a base64 SHA-256 root hash')
  if (extensions.some((line) => line === '')) return E.left('checkpoint: an empty extension line')
  return E.right({ origin, size: Number(size), root: rootBytes, extensions })
}

/**
 * Opens a checkpoint signed by the log's key: the note verifies with `logKey`, and its body is a
 * checkpoint whose origin is the key's name (unless `origin` names another).
 */
export const openCheckpoint = async (
  note: string,
  logKey: NoteVerifier,
  origin: string = logKey.name,
): Promise<E.Either<string, SignedCheckpoint>> => {
  const opened = await openNote(note, [logKey])
  if (E.isLeft(opened)) return opened
  if (opened.right.verified.length === 0)
    return E.left(
      `the checkpoint has no signature by the log key ${logKey.name}+${logKey.keyId.toString(16).padStart(8, '0')}`,
    )
  const body = parseCheckpointBody(opened.right.text)
  if (E.isLeft(body)) return body
  if (body.right.origin !== origin)
    return E.left(
      `the checkpoint is of the log ${JSON.stringify(body.right.origin)}, not ${JSON.stringify(origin)}`,
    )
  return E.right({ ...body.right, text: opened.right.text, note })
}

const textEncoder = new TextEncoder()

const cosignedMessage = (body: string, time: number): Uint8Array =>
  textEncoder.encode(`cosignature/v1\ntime ${time}\n${body}`)

/** A witness's cosignature line over a checkpoint body, at `time` (whole POSIX seconds). */
export const cosignatureLine = async (
  body: string,
  witness: NoteSigner,
  time: number,
): Promise<E.Either<string, string>> => {
  if (witness.type !== noteKeyTypes.cosignatureV1)
    return E.left(
      `${witness.name}: not a cosignature key (type 0x04); elicence keys --witness NAME makes one`,
    )
  const seconds = Math.floor(time)
  const signature = await ed25519Sign(witness.privateKey, cosignedMessage(body, seconds))
  const timestamped = new Uint8Array(8 + signature.length)
  new DataView(timestamped.buffer).setBigUint64(0, BigInt(seconds))
  timestamped.set(signature, 8)
  return E.right(signatureLine(witness.name, witness.keyId, timestamped))
}

export interface Cosignature {
  readonly witness: string
  readonly time: number
}

/**
 * The cosignatures of `witnesses` on a note; a signature line by one of them that does not verify
 * is an error, a witness without a line is simply absent from the result.
 */
export const verifyCosignatures = async (
  note: string,
  witnesses: ReadonlyArray<NoteVerifier>,
): Promise<E.Either<string, ReadonlyArray<Cosignature>>> => {
  const parsed = parseNote(note)
  if (E.isLeft(parsed)) return parsed
  const found: Cosignature[] = []
  for (const signature of parsed.right.signatures) {
    const witness = keyOfSignature(witnesses, noteKeyTypes.cosignatureV1, signature)
    if (witness === undefined) continue
    if (signature.signature.length !== 72)
      return E.left(`the cosignature of ${witness.name} is not 8 + 64 bytes`)
    const time = Number(
      new DataView(signature.signature.buffer, signature.signature.byteOffset).getBigUint64(0),
    )
    const valid = await ed25519Verify(
      witness.publicKey,
      signature.signature.subarray(8),
      cosignedMessage(parsed.right.text, time),
    )
    if (!valid) return E.left(`the cosignature of ${witness.name} does not verify`)
    found.push({ witness: witness.name, time })
  }
  return E.right(found)
}

/** The note with a signature line added after the others. */
export const withSignatureLine = (note: string, line: string): string => `${note}${line}`
