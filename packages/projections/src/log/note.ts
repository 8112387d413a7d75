/**
 * C2SP signed notes (https://c2sp.org/signed-note), the format of Go's `golang.org/x/mod/sumdb/note`:
 * a UTF-8 text ending in a newline, a blank line, then one line per signature,
 * `— <key name> base64(4-byte key ID ‖ signature)`, by keys of note-keys.ts. Type 0x01 keys sign
 * the text (a log's checkpoint); type 0x04 ones add C2SP tlog-cosignatures (checkpoint.ts).
 * Failures are values that say what is wrong.
 *
 * @example
 * const { signerKey, verifierKey } = await generateNoteKey('example.com/elicence/log', noteKeyTypes.ed25519)
 * const signer = await parseSignerKey(signerKey)             // Either<string, NoteSigner>
 * const note = await signNote('hello\n', [signer.right])
 * const opened = await openNote(note, [(await parseVerifierKey(verifierKey)).right])
 */
import * as E from 'fp-ts/lib/Either.js'
import {
  concat,
  ed25519Sign,
  ed25519Verify,
  fromBase64,
  isNoteKeyName,
  type NoteKeyType,
  type NoteSigner,
  type NoteVerifier,
  noteKeyTypes,
  toBase64,
} from './note-keys.js'

const textEncoder = new TextEncoder()

export interface NoteSignature {
  readonly name: string
  readonly keyId: number
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array
}

export interface ParsedNote {
  /** The signed text, with its final newline. */
  readonly text: string
  readonly signatures: ReadonlyArray<NoteSignature>
}

/**
 * Whether `text` may be signed: valid text ending in a newline, no blank line inside (it would end
 * the text early when the note is read), no control character but the newline.
 */
export const noteTextProblem = (text: string): string | undefined => {
  if (!text.endsWith('\n')) return 'the text does not end in a newline'
  if (text.includes('\n\n')) return 'the text has a blank line'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) return 'the text has a control character'
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text))
    return 'the text is not valid Unicode'
  return undefined
}

export const signatureLine = (name: string, keyId: number, signature: Uint8Array): string => {
  const id = new Uint8Array(4)
  new DataView(id.buffer).setUint32(0, keyId)
  return `— ${name} ${toBase64(concat(id, signature))}\n`
}

/** Signs `text` with Ed25519 signer keys (type 0x01): the note, text first. */
export const signNote = async (
  text: string,
  signers: ReadonlyArray<NoteSigner>,
): Promise<E.Either<string, string>> => {
  const problem = noteTextProblem(text)
  if (problem !== undefined) return E.left(problem)
  const wrongType = signers.find((signer) => signer.type !== noteKeyTypes.ed25519)
  if (wrongType !== undefined) return E.left(`${wrongType.name}: not an Ed25519 note key (type 0x01)`)
  const lines: string[] = []
  for (const signer of signers)
    lines.push(
      signatureLine(
        signer.name,
        signer.keyId,
        await ed25519Sign(signer.privateKey, textEncoder.encode(text)),
      ),
    )
  return E.right(`${text}\n${lines.join('')}`)
}

/** The key of `type` among `keys` that made a signature line, by its name and key ID. */
export const keyOfSignature = (
  keys: ReadonlyArray<NoteVerifier>,
  type: NoteKeyType,
  signature: NoteSignature,
): NoteVerifier | undefined =>
  keys.find((key) => key.type === type && key.name === signature.name && key.keyId === signature.keyId)

/** Go's limit: a note with more signature lines is refused rather than read. */
export const maxNoteSignatures = 100

// `fatal`: a byte that is not UTF-8 is an error, never U+FFFD, which would change what was signed;
// `ignoreBOM`: a byte-order mark is kept, so that parseNote names it rather than it vanishing.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * A note's bytes as text (C2SP signed-note: a note is valid UTF-8). Notes come as bytes (files,
 * responses): decoded leniently, invalid bytes would turn into U+FFFD, a note that is accepted and
 * passed on changed, where Go's `note.Open` refuses it as malformed.
 */
export const decodeNote = (bytes: Uint8Array): E.Either<string, string> => {
  try {
    return E.right(strictUtf8.decode(bytes))
  } catch {
    return E.left('not a signed note: it is not valid UTF-8')
  }
}

/**
 * The first ASCII control character (below U+0020, as C2SP signed-note and Go's `note.Open` count
 * them) but the newline, with its line (from 1), if any.
 */
const controlCharacter = (note: string): string | undefined => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const found = /[\u0000-\u0009\u000b-\u001f]/.exec(note)
  if (found === null) return undefined
  const line = note.slice(0, found.index).split('\n').length
  const code = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
  return `line ${line} has a control character (U+${code}); a signed note has none but the newline`
}

/** Splits a note into its text and signature lines; checks their form, not the signatures. */
export const parseNote = (note: string): E.Either<string, ParsedNote> => {
  // A note is exact bytes: both would fail as something else (no blank line, a forged signature),
  // so each is named. Neither is undone here; what was signed is not guessed.
  if (note.startsWith('\uFEFF'))
    return E.left(
      'not a signed note: it starts with a byte-order mark (U+FEFF), which is no part of the signed text; save it without one',
    )
  if (note.includes('\r\n'))
    return E.left(
      'not a signed note: it has CRLF line endings; a signed note has LF line endings only, as it was signed',
    )
  // The whole note, signature lines too: Go refuses a note with one anywhere.
  const control = controlCharacter(note)
  if (control !== undefined) return E.left(`not a signed note: ${control}`)
  const split = note.lastIndexOf('\n\n')
  if (split < 0) return E.left('not a signed note: no blank line before the signatures')
  const text = note.slice(0, split + 1)
  const problem = noteTextProblem(text)
  if (problem !== undefined) return E.left(`not a signed note: ${problem}`)
  const block = note.slice(split + 2)
  if (!block.endsWith('\n'))
    return E.left('not a signed note: the last signature line does not end in a newline')
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > maxNoteSignatures)
    return E.left(`a note with more than ${maxNoteSignatures} signatures is not read`)
  const signatures: NoteSignature[] = []
  for (const [at, line] of lines.entries()) {
    const match = /^— (\S+) (\S+)$/u.exec(line)
    const bytes = match?.[2] === undefined ? undefined : fromBase64(match[2])
    if (
      match === null ||
      match[1] === undefined ||
      !isNoteKeyName(match[1]) ||
      bytes === undefined ||
      bytes.length < 5
    )
      return E.left(`signature line ${at + 1} is not "— <key name> <base64 key id and signature>"`)
    signatures.push({
      name: match[1],
      keyId: new DataView(bytes.buffer, bytes.byteOffset).getUint32(0),
      signature: bytes.subarray(4),
    })
  }
  return E.right({ text, signatures })
}

/**
 * Reads a note and checks its Ed25519 (type 0x01) signatures by the given keys. `verified` names the
 * keys whose signature verified; a signature by a known key that does not verify is an error (a
 * forged note), one by an unknown key is left alone, as Go's `note.Open` does.
 */
export const openNote = async (
  note: string,
  verifiers: ReadonlyArray<NoteVerifier>,
): Promise<E.Either<string, ParsedNote & { readonly verified: ReadonlyArray<NoteVerifier> }>> => {
  const parsed = parseNote(note)
  if (E.isLeft(parsed)) return parsed
  const verified: NoteVerifier[] = []
  for (const signature of parsed.right.signatures) {
    const verifier = keyOfSignature(verifiers, noteKeyTypes.ed25519, signature)
    if (verifier === undefined) continue
    if (
      !(await ed25519Verify(verifier.publicKey, signature.signature, textEncoder.encode(parsed.right.text)))
    )
      return E.left(`the signature of ${verifier.name} does not verify: the note was changed or forged`)
    verified.push(verifier)
  }
  return E.right({ ...parsed.right, verified })
}
