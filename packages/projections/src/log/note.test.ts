// Signed notes and checkpoints. The fixed key and signature are the published example of Go's
// golang.org/x/mod/sumdb/note (note_test.go, TestSign; also the example of https://c2sp.org/signed-note):
// Ed25519 is deterministic, so our signature must be byte for byte theirs.
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  checkpointBody,
  cosignatureLine,
  defaultLogOrigin,
  openCheckpoint,
  parseCheckpointBody,
  verifyCosignatures,
  withSignatureLine,
} from './checkpoint.js'
import { noteTextProblem, openNote, parseNote, signNote } from './note.js'
import {
  generateNoteKey,
  type NoteSigner,
  type NoteVerifier,
  noteKeyTypes,
  parseSignerKey,
  parseVerifierKey,
} from './note-keys.js'

const goSignerKey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const goVerifierKey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const goText =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const goNote = `${goText}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`

const right = <A>(either: E.Either<string, A>): A => {
  if (E.isLeft(either)) throw new Error(either.left)
  return either.right
}

const keyPair = async (name: string, type: (typeof noteKeyTypes)[keyof typeof noteKeyTypes]) => {
  const { signerKey, verifierKey } = right(await generateNoteKey(name, type))
  return {
    signer: right(await parseSignerKey(signerKey)) as NoteSigner,
    verifier: right(await parseVerifierKey(verifierKey)) as NoteVerifier,
  }
}

describe('signed notes, as Go writes them', () => {
  it("signs Go's example text with Go's example key exactly as Go does, and opens Go's note", async () => {
    const signer = right(await parseSignerKey(goSignerKey))
    expect(signer.verifierKey).toBe(goVerifierKey)
    expect(right(await signNote(goText, [signer]))).toBe(goNote)
    const verifier = right(await parseVerifierKey(goVerifierKey))
    const opened = right(await openNote(goNote, [verifier]))
    expect(opened.text).toBe(goText)
    expect(opened.verified.map((key) => key.name)).toEqual(['PeterNeumann'])
  })

  it('refuses a changed text, a key string with a wrong id, and malformed notes, saying why', async () => {
    const verifier = right(await parseVerifierKey(goVerifierKey))
    const changed = goNote.replace('cryptography', 'cryptographY')
    expect(await openNote(changed, [verifier])).toEqual(E.left(expect.stringContaining('does not verify')))
    expect(await parseVerifierKey(goVerifierKey.replace('c74f20a3', 'c74f20a4'))).toEqual(
      E.left('verifier key: the key id does not match the key'),
    )
    expect(await parseVerifierKey('PeterNeumann+c74f20a3')).toEqual(
      E.left(expect.stringContaining('not a verifier key')),
    )
    expect(parseNote(goText)).toEqual(E.left(expect.stringContaining('no blank line')))
    expect(parseNote(`${goText}\n— Peter Neumann AAAA\n`)).toEqual(
      E.left(expect.stringContaining('signature line 1')),
    )
    expect(await signNote('no newline', [right(await parseSignerKey(goSignerKey))])).toEqual(
      E.left('the text does not end in a newline'),
    )
  })

  it('round-trips any text with fresh keys; an unknown key is left alone', async () => {
    const { signer, verifier } = await keyPair('example.com/elicence/log', noteKeyTypes.ed25519)
    const other = await keyPair('other.example', noteKeyTypes.ed25519)
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc
            .string({ unit: 'grapheme', minLength: 1 })
            .filter((line) => noteTextProblem(`${line}\n`) === undefined),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (lines) => {
          const text = `${lines.join('\n')}\n`
          const note = right(await signNote(text, [signer]))
          expect(right(await openNote(note, [verifier])).text).toBe(text)
          expect(right(await openNote(note, [other.verifier])).verified).toEqual([])
        },
      ),
      { numRuns: 25 },
    )
  })
})

describe('checkpoints and cosignatures', () => {
  const root = Uint8Array.from({ length: 32 }, (_, at) => at)

  it('writes the C2SP body and reads it back; the default origin is the public host + /elicence/log', () => {
    const body = checkpointBody({ origin: 'licences.example.cn/elicence/log', size: 20852163, root })
    expect(body).toBe(
      'licences.example.cn/elicence/log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n',
    )
    expect(right(parseCheckpointBody(body))).toEqual({
      origin: 'licences.example.cn/elicence/log',
      size: 20852163,
      root,
      extensions: [],
    })
    expect(defaultLogOrigin('https://licences.example.cn:8443/api')).toBe(
      'licences.example.cn:8443/elicence/log',
    )
    expect(parseCheckpointBody('o\n01\nAAAA\n')).toEqual(E.left(expect.stringContaining('second line')))
    expect(parseCheckpointBody('o\n1\nAAAA\n')).toEqual(E.left(expect.stringContaining('third line')))
  })

  it("opens a checkpoint only with the log's key and its origin", async () => {
    const log = await keyPair('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    const stranger = await keyPair('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    const note = right(
      await signNote(checkpointBody({ origin: log.signer.name, size: 3, root }), [log.signer]),
    )
    expect(right(await openCheckpoint(note, log.verifier)).size).toBe(3)
    expect(await openCheckpoint(note, stranger.verifier)).toEqual(
      E.left(expect.stringContaining('no signature by the log key')),
    )
    const elsewhere = right(
      await signNote(checkpointBody({ origin: 'elsewhere', size: 3, root }), [log.signer]),
    )
    expect(await openCheckpoint(elsewhere, log.verifier)).toEqual(
      E.left(expect.stringContaining('is of the log "elsewhere"')),
    )
  })

  it('adds a tlog-cosignature/v1 line that verifies with the witness key and no other, over this body only', async () => {
    const log = await keyPair('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    const witness = await keyPair('witness.example.org/w1', noteKeyTypes.cosignatureV1)
    const body = checkpointBody({ origin: log.signer.name, size: 3, root })
    const note = right(await signNote(body, [log.signer]))
    const line = right(await cosignatureLine(body, witness.signer, 1679315147.9))
    const cosigned = withSignatureLine(note, line)
    expect(right(await verifyCosignatures(cosigned, [witness.verifier]))).toEqual([
      { witness: 'witness.example.org/w1', time: 1679315147 },
    ])
    // The log's own signature still verifies with the line added.
    expect(right(await openCheckpoint(cosigned, log.verifier)).size).toBe(3)
    const otherBody = right(
      await signNote(checkpointBody({ origin: log.signer.name, size: 4, root }), [log.signer]),
    )
    expect(await verifyCosignatures(withSignatureLine(otherBody, line), [witness.verifier])).toEqual(
      E.left('the cosignature of witness.example.org/w1 does not verify'),
    )
    expect(await cosignatureLine(body, log.signer, 0)).toEqual(
      E.left(expect.stringContaining('not a cosignature key')),
    )
  })
})
