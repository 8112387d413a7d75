/**
 * Checkpoints (C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint) and their cosignatures (C2SP
 * tlog-cosignature/v1): a checkpoint's body is the origin line, the tree size in decimal and the
 * root hash in base64, each ending in a newline, then optional extension lines; it is the text of a
 * signed note (note.ts) signed by the log's key. A witness adds a cosignature: an Ed25519 signature
 * (key type 0x04) over `cosignature/v1\ntime <unix seconds>\n` followed by the body, written as
 * the signature line `— <witness> base64(key ID ‖ 8-byte big-endian time ‖ signature)`.
 *
 * @example
 * const body = checkpointBody({ origin: 'example.com/elicence/log', size: 42, root })   // Either<string, string>
 * const note = await signNote(body.right, [logSigner])
 * const opened = await openCheckpoint(note.right, logVerifier)   // Either<string, SignedCheckpoint>
 * const line = await cosignatureLine(opened.right.text, witnessSigner, BigInt(Math.floor(Date.now() / 1000)))
 */
import * as E from 'fp-ts/lib/Either.js'
import { hashSize } from './merkle.js'
import { keyOfSignature, openNote, parseNote, signatureLine } from './note.js'
import {
  ed25519Sign,
  ed25519Verify,
  fromBase64,
  keyNameAndId,
  type NoteSigner,
  type NoteVerifier,
  noteKeyNameProblem,
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
  /**
   * The note as the log signed it: the body and the log key's signature line alone. The other
   * signature lines are nobody's word (unknown keys are not checked, and anyone on the way may
   * add lines), so this is what may be kept or passed on as the log's checkpoint.
   */
  readonly logNote: string
}

/**
 * What is wrong with an origin, if anything. C2SP tlog-checkpoint: it MUST be non-empty and SHOULD
 * have no Unicode space nor `+`; as a line of a signed note it has no control character (a newline
 * in it would make the lines after it the signed size and root). These are a key name's rules
 * (note-keys.ts), and the log key is named by its origin (DESIGN §9), so one check serves both.
 */
export const checkpointOriginProblem = (origin: string): string | undefined => {
  if (origin.includes('\n')) return 'it has a line break (U+000A): an origin is one line'
  return noteKeyNameProblem(origin)
}

/** The largest tree size (and leaf index) handled here: sizes are JS numbers, exact up to 2^53−1. */
export const maxTreeSize = Number.MAX_SAFE_INTEGER

/** A tree size in decimal, as a checkpoint writes it (no leading zero); the Left says what it is not. */
export const parseTreeSize = (text: string): E.Either<string, number> => {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) return E.left('is not a tree size in decimal')
  if (BigInt(text) > BigInt(maxTreeSize))
    return E.left('exceeds 2^53−1 (9007199254740991), the largest tree size this implementation handles')
  return E.right(Number(text))
}

/** The default origin of a service's log: its public host, then `/elicence/log`. */
export const defaultLogOrigin = (publicUrl: string): string => {
  try {
    return `${new URL(publicUrl).host}/elicence/log`
  } catch {
    return `${publicUrl.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '')}/elicence/log`
  }
}

/** The body of a checkpoint; an origin that is not one good line is refused, never signed. */
export const checkpointBody = (
  checkpoint: Omit<Checkpoint, 'extensions'> & Partial<Checkpoint>,
): E.Either<string, string> => {
  const problem = checkpointOriginProblem(checkpoint.origin)
  if (problem !== undefined) return E.left(`the origin ${JSON.stringify(checkpoint.origin)}: ${problem}`)
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0)
    return E.left(`the tree size ${checkpoint.size} is not a whole number from 0 to 2^53−1`)
  const extensions = checkpoint.extensions ?? []
  if (extensions.some((line) => line === '' || line.includes('\n')))
    return E.left('an extension line is empty or more than one line')
  return E.right(
    `${checkpoint.origin}\n${checkpoint.size}\n${toBase64(checkpoint.root)}\n${extensions.map((line) => `${line}\n`).join('')}`,
  )
}

/** Reads a checkpoint body; says which line is wrong. */
export const parseCheckpointBody = (text: string): E.Either<string, Checkpoint> => {
  const lines = text.split('\n')
  if (lines.pop() !== '') return E.left('checkpoint: the body does not end in a newline')
  const [origin, size, root, ...extensions] = lines
  if (origin === undefined || origin === '') return E.left('checkpoint: the first line (the origin) is empty')
  const treeSize = parseTreeSize(size ?? '')
  if (E.isLeft(treeSize))
    return E.left(`checkpoint: the second line ${JSON.stringify(size ?? '')} ${treeSize.left}`)
  const rootBytes = root === undefined ? undefined : fromBase64(root)
  if (rootBytes === undefined || rootBytes.length !== hashSize)
    return E.left('checkpoint: the third line is not a base64 SHA-256 root hash')
  if (extensions.some((line) => line === '')) return E.left('checkpoint: an empty extension line')
  return E.right({ origin, size: treeSize.right, root: rootBytes, extensions })
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
  const logSignature = opened.right.signatures.find(
    (signature) => keyOfSignature([logKey], noteKeyTypes.ed25519, signature) !== undefined,
  )
  if (opened.right.verified.length === 0 || logSignature === undefined)
    return E.left(`the checkpoint has no signature by the log key ${keyNameAndId(logKey)}`)
  const body = parseCheckpointBody(opened.right.text)
  if (E.isLeft(body)) return body
  if (body.right.origin !== origin)
    return E.left(
      `the checkpoint is of the log ${JSON.stringify(body.right.origin)}, not ${JSON.stringify(origin)}`,
    )
  const logLine = signatureLine(logSignature.name, logSignature.keyId, logSignature.signature)
  return E.right({
    ...body.right,
    text: opened.right.text,
    note,
    logNote: `${opened.right.text}\n${logLine}`,
  })
}

const textEncoder = new TextEncoder()

/** C2SP tlog-cosignature: a timestamp MUST NOT exceed 2^63 − 1. */
const maxCosignatureTime = 2n ** 63n - 1n

const cosignedMessage = (body: string, time: bigint): Uint8Array =>
  textEncoder.encode(`cosignature/v1\ntime ${time}\n${body}`)

/**
 * A witness's cosignature line over a checkpoint body, at `time` (POSIX seconds). A bigint: the
 * timestamp is a u64 up to 2^63 − 1, past what a JS number holds exactly.
 */
export const cosignatureLine = async (
  body: string,
  witness: NoteSigner,
  time: bigint,
): Promise<E.Either<string, string>> => {
  if (witness.type !== noteKeyTypes.cosignatureV1)
    return E.left(
      `${witness.name}: not a cosignature key (type 0x04); elicence keys --witness NAME makes one`,
    )
  if (time < 0n || time > maxCosignatureTime) return E.left(`the time ${time} is not from 0 to 2^63 − 1`)
  const signature = await ed25519Sign(witness.privateKey, cosignedMessage(body, time))
  const timestamped = new Uint8Array(8 + signature.length)
  new DataView(timestamped.buffer).setBigUint64(0, time)
  timestamped.set(signature, 8)
  return E.right(signatureLine(witness.name, witness.keyId, timestamped))
}

export interface Cosignature {
  /** The witness key's name and key ID: together they name the key (C2SP signed-note). */
  readonly witness: string
  readonly keyId: number
  /** POSIX seconds, up to 2^63 − 1. */
  readonly time: bigint
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
    const time = new DataView(signature.signature.buffer, signature.signature.byteOffset).getBigUint64(0)
    if (time > maxCosignatureTime)
      return E.left(`the cosignature of ${witness.name} has a time past 2^63 − 1, which none may have`)
    const valid = await ed25519Verify(
      witness.publicKey,
      signature.signature.subarray(8),
      cosignedMessage(parsed.right.text, time),
    )
    if (!valid) return E.left(`the cosignature of ${witness.name} does not verify`)
    found.push({ witness: witness.name, keyId: witness.keyId, time })
  }
  return E.right(found)
}

/** The note with a signature line added after the others. */
export const withSignatureLine = (note: string, line: string): string => `${note}${line}`
