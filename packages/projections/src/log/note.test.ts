// Signed notes and checkpoints. The fixed key and signature are the published example of Go's
// golang.org/x/mod/sumdb/note (note_test.go, TestSign; also the example of https://c2sp.org/signed-note):
// Ed25519 is deterministic, so our signature must be byte for byte theirs.
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  checkpointBody,
  checkpointOriginProblem,
  cosignatureLine,
  defaultLogOrigin,
  openCheckpoint,
  parseCheckpointBody,
  verifyCosignatures,
  withSignatureLine,
} from './checkpoint.js'
import { decodeNote, noteTextProblem, openNote, parseNote, signNote } from './note.js'
import {
  fromBase64,
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
    // The log's private key handed where its verifier key belongs: said so, not "bad key id".
    expect(await parseVerifierKey(goSignerKey)).toEqual(
      E.left(expect.stringMatching(/^this is a signer key/)),
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
    const body = right(checkpointBody({ origin: 'licences.example.cn/elicence/log', size: 20852163, root }))
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
      await signNote(right(checkpointBody({ origin: log.signer.name, size: 3, root })), [log.signer]),
    )
    expect(right(await openCheckpoint(note, log.verifier)).size).toBe(3)
    expect(await openCheckpoint(note, stranger.verifier)).toEqual(
      E.left(expect.stringContaining('no signature by the log key')),
    )
    const elsewhere = right(
      await signNote(right(checkpointBody({ origin: 'elsewhere', size: 3, root })), [log.signer]),
    )
    expect(await openCheckpoint(elsewhere, log.verifier)).toEqual(
      E.left(expect.stringContaining('is of the log "elsewhere"')),
    )
  })

  it('adds a tlog-cosignature/v1 line that verifies with the witness key and no other, over this body only', async () => {
    const log = await keyPair('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    const witness = await keyPair('witness.example.org/w1', noteKeyTypes.cosignatureV1)
    const body = right(checkpointBody({ origin: log.signer.name, size: 3, root }))
    const note = right(await signNote(body, [log.signer]))
    const line = right(await cosignatureLine(body, witness.signer, 1679315147n))
    const cosigned = withSignatureLine(note, line)
    expect(right(await verifyCosignatures(cosigned, [witness.verifier]))).toEqual([
      { witness: 'witness.example.org/w1', keyId: witness.verifier.keyId, time: 1679315147n },
    ])
    // The log's own signature still verifies with the line added.
    expect(right(await openCheckpoint(cosigned, log.verifier)).size).toBe(3)
    const otherBody = right(
      await signNote(right(checkpointBody({ origin: log.signer.name, size: 4, root })), [log.signer]),
    )
    expect(await verifyCosignatures(withSignatureLine(otherBody, line), [witness.verifier])).toEqual(
      E.left('the cosignature of witness.example.org/w1 does not verify'),
    )
    expect(await cosignatureLine(body, log.signer, 0n)).toEqual(
      E.left(expect.stringContaining('not a cosignature key')),
    )
  })
})

describe('what no note may hold (C2SP signed-note: valid UTF-8, no control character but the newline)', () => {
  it('decodes bytes strictly: invalid UTF-8 is refused, not made U+FFFD; a byte-order mark is kept to be named', () => {
    const bytes = new TextEncoder().encode(goNote)
    expect(right(decodeNote(bytes))).toBe(goNote)
    const withFF = Uint8Array.from([...bytes.subarray(0, 10), 0xff, ...bytes.subarray(10)])
    expect(decodeNote(withFF)).toEqual(E.left('not a signed note: it is not valid UTF-8'))
    const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes])
    expect(parseNote(right(decodeNote(withBom)))).toEqual(E.left(expect.stringContaining('byte-order mark')))
  })

  it('refuses a control character anywhere, signature lines too, naming its line', () => {
    expect(parseNote(`${goNote}— junk.example/\u0001k AAAAAAAA\n`)).toEqual(
      E.left(
        'not a signed note: line 5 has a control character (U+0001); a signed note has none but the newline',
      ),
    )
    expect(parseNote(goNote.replace('answer', 'ans\u0008wer'))).toEqual(
      E.left(expect.stringContaining('line 1 has a control character (U+0008)')),
    )
  })

  it('refuses key names with a control character, a space or a plus, saying which', async () => {
    expect(await generateNoteKey('w.example/\u0001x', noteKeyTypes.cosignatureV1)).toEqual(
      E.left(expect.stringContaining('it has a control character (U+0001)')),
    )
    expect(await generateNoteKey('w.example/\u00a0x', noteKeyTypes.cosignatureV1)).toEqual(
      E.left(expect.stringContaining('it has a space (U+00A0)')),
    )
    expect(await parseVerifierKey(goVerifierKey.replace('PeterNeumann', 'Peter\u0001Neumann'))).toEqual(
      E.left(expect.stringContaining('control character (U+0001)')),
    )
  })
})

describe('origins (C2SP tlog-checkpoint: non-empty, one line, no space nor plus)', () => {
  const root = new Uint8Array(32)

  it('are refused where a body is written, as an error value, naming what is wrong', () => {
    const forged = `licences.example.cn/elicence/log\n999\n${'A'.repeat(43)}=`
    expect(checkpointBody({ origin: forged, size: 3, root })).toEqual(
      E.left(expect.stringContaining('it has a line break (U+000A): an origin is one line')),
    )
    expect(checkpointBody({ origin: '', size: 3, root })).toEqual(E.left('the origin "": it is empty'))
    expect(checkpointOriginProblem('ex.example/\u0001log')).toBe('it has a control character (U+0001)')
    expect(checkpointOriginProblem('ex.example/a log')).toBe('it has a space (U+0020)')
    expect(checkpointOriginProblem('ex.example/a+log')).toBe("it has a '+', the separator of key strings")
    expect(checkpointOriginProblem('licences.example.cn/elicence/log')).toBeUndefined()
  })
})

describe('numbers past 2^53', () => {
  const root = new Uint8Array(32)

  it('a cosignature time up to 2^63 − 1 verifies and reads back exactly; 2^63 is not signed', async () => {
    const log = await keyPair('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    const witness = await keyPair('witness.example.org/w1', noteKeyTypes.cosignatureV1)
    const body = right(checkpointBody({ origin: log.signer.name, size: 3, root }))
    const note = right(await signNote(body, [log.signer]))
    for (const time of [2n ** 53n + 1n, 2n ** 63n - 1n]) {
      const line = right(await cosignatureLine(body, witness.signer, time))
      expect(right(await verifyCosignatures(withSignatureLine(note, line), [witness.verifier]))).toEqual([
        { witness: witness.verifier.name, keyId: witness.verifier.keyId, time },
      ])
    }
    expect(await cosignatureLine(body, witness.signer, 2n ** 63n)).toEqual(
      E.left(expect.stringContaining('not from 0 to 2^63 − 1')),
    )
  })

  it('a tree size past 2^53 − 1 is refused as past what is handled, not as no number', () => {
    const base64Root = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
    expect(right(parseCheckpointBody(`o\n9007199254740991\n${base64Root}\n`)).size).toBe(2 ** 53 - 1)
    expect(parseCheckpointBody(`o\n9007199254740992\n${base64Root}\n`)).toEqual(
      E.left(
        'checkpoint: the second line "9007199254740992" exceeds 2^53−1 (9007199254740991), the largest tree size this implementation handles',
      ),
    )
    expect(parseCheckpointBody(`o\n9223372036854775807\n${base64Root}\n`)).toEqual(
      E.left(expect.stringContaining('exceeds 2^53−1')),
    )
  })
})

describe("the log's note alone", () => {
  it('is the body and the log signature, without the lines of unknown keys', async () => {
    const log = await keyPair('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    const body = right(checkpointBody({ origin: log.signer.name, size: 3, root: new Uint8Array(32) }))
    const note = right(await signNote(body, [log.signer]))
    const junk = Array.from({ length: 99 }, (_, k) => `— junk.example/k${k} AAAAAAAA\n`).join('')
    const opened = right(await openCheckpoint(`${note}${junk}`, log.verifier))
    expect(opened.logNote).toBe(note)
  })
})

describe('fromBase64', () => {
  // The strict pattern it implements, as an oracle on inputs short enough for a pattern to match.
  const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
  it('accepts exactly padded standard base64, and reads it as atob does', () => {
    const base64ish = fc.stringMatching(/^[A-Za-z0-9+/=_\- ]{0,24}$/)
    fc.assert(
      fc.property(
        fc.oneof(
          base64ish,
          fc.uint8Array({ maxLength: 18 }).map((bytes) => btoa(String.fromCharCode(...bytes))),
        ),
        (text) => {
          const bytes = fromBase64(text)
          expect(bytes !== undefined).toBe(strictBase64.test(text))
          if (bytes !== undefined) expect(String.fromCharCode(...bytes)).toBe(atob(text))
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('reads a line of megabytes, as a hostile file holds, without overflowing the stack', () => {
    const long = btoa('x'.repeat(6 * 1024 * 1024))
    expect(() => strictBase64.test(long)).toThrow(RangeError)
    expect(fromBase64(long)?.length).toBe(6 * 1024 * 1024)
    expect(fromBase64(`${long.slice(0, -4)}!AAA`)).toBeUndefined()
  })
})
