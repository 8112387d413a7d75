/**
 * Keys of C2SP signed notes (https://c2sp.org/signed-note#verifier-keys), as Go's
 * `golang.org/x/mod/sumdb/note` writes them: a verifier key string
 * `<name>+<hex key ID>+base64(<type byte> ‖ public key)`, the key ID being the first four bytes of
 * SHA-256(name ‖ "\n" ‖ type byte ‖ public key), and a signer key string
 * `PRIVATE+KEY+<name>+<hex key ID>+base64(<type byte> ‖ 32-byte seed)`. Type 0x01 signs notes (a
 * log's checkpoints), 0x04 C2SP tlog-cosignatures (a witness's). Ed25519 runs on Web Crypto.
 *
 * @example
 * const { signerKey, verifierKey } = (await generateNoteKey('example.com/elicence/log', noteKeyTypes.ed25519)).right
 * const signer = await parseSignerKey(signerKey)             // Either<string, NoteSigner>
 */
import * as E from 'fp-ts/lib/Either.js'

/** The signature type byte of a key. */
export const noteKeyTypes = { ed25519: 0x01, cosignatureV1: 0x04 } as const
export type NoteKeyType = (typeof noteKeyTypes)[keyof typeof noteKeyTypes]

export interface NoteVerifier {
  readonly name: string
  readonly keyId: number
  readonly type: NoteKeyType
  readonly publicKey: CryptoKey
  /** The verifier key string it was read from. */
  readonly text: string
}

export interface NoteSigner {
  readonly name: string
  readonly keyId: number
  readonly type: NoteKeyType
  readonly privateKey: CryptoKey
  /** The verifier key string of its public key. */
  readonly verifierKey: string
}

const textEncoder = new TextEncoder()
const ed25519 = { name: 'Ed25519' } as const

export const toBase64 = (bytes: Uint8Array): string => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const isBase64Digit = (code: number): boolean =>
  (code >= 0x41 && code <= 0x5a) || // A-Z
  (code >= 0x61 && code <= 0x7a) || // a-z
  (code >= 0x30 && code <= 0x39) || // 0-9
  code === 0x2b || // +
  code === 0x2f // /

/**
 * Standard base64 with padding, strictly: anything else is undefined. Tested a character at a
 * time, not by a pattern of groups: a backtracking match of `(?:….{4})*` over a line of some
 * megabytes (a signature or key in a hostile file) overflowed the stack.
 */
export const fromBase64 = (text: string): Uint8Array | undefined => {
  if (text.length % 4 !== 0) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  for (let index = 0; index < text.length - padding; index++)
    if (!isBase64Digit(text.charCodeAt(index))) return undefined
  const binary = atob(text)
  return Uint8Array.from(binary, (character) => character.charCodeAt(0))
}

export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array<ArrayBuffer> => {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    joined.set(part, at)
    at += part.length
  }
  return joined
}

const codePoint = (character: string): string =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`

/**
 * What is wrong with a key name, if anything (C2SP signed-note): it must be non-empty, without
 * Unicode spaces or `+` (the separator of key strings), and — as all of a note — without ASCII
 * control characters, which would otherwise reach a signature line that no reader accepts.
 */
export const noteKeyNameProblem = (name: string): string | undefined => {
  if (name.length === 0) return 'it is empty'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const control = /[\u0000-\u001f]/.exec(name)
  if (control !== null) return `it has a control character (${codePoint(control[0])})`
  const space = /[\s\p{Zs}]/u.exec(name)
  if (space !== null) return `it has a space (${codePoint(space[0])})`
  if (name.includes('+')) return "it has a '+', the separator of key strings"
  return undefined
}

export const isNoteKeyName = (name: string): boolean => noteKeyNameProblem(name) === undefined

const keyIdOf = async (name: string, type: number, publicKey: Uint8Array): Promise<number> => {
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      'SHA-256',
      concat(textEncoder.encode(`${name}\n`), Uint8Array.of(type), publicKey),
    ),
  )
  return new DataView(digest.buffer).getUint32(0)
}

const hex8 = (keyId: number): string => keyId.toString(16).padStart(8, '0')

/** `<name>+<hex key ID>`: what names a key (C2SP signed-note), as key strings begin. */
export const keyNameAndId = (key: Pick<NoteVerifier, 'name' | 'keyId'>): string =>
  `${key.name}+${hex8(key.keyId)}`

const isKeyType = (byte: number | undefined): byte is NoteKeyType =>
  byte === noteKeyTypes.ed25519 || byte === noteKeyTypes.cosignatureV1

// PKCS #8 for an Ed25519 seed (RFC 8410): Web Crypto imports private keys only in a container.
const pkcs8Prefix = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
)

const publicKeyOfSeed = async (
  seed: Uint8Array,
): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> => {
  const privateKey = await crypto.subtle.importKey('pkcs8', concat(pkcs8Prefix, seed), ed25519, true, [
    'sign',
  ])
  const jwk = await crypto.subtle.exportKey('jwk', privateKey)
  const x = jwk.x ?? ''
  const publicKey = fromBase64(
    x
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(x.length / 4) * 4, '='),
  )
  if (publicKey === undefined) throw new Error('Web Crypto gave no Ed25519 public key')
  return { privateKey, publicKey }
}

const verifierKeyText = async (name: string, type: NoteKeyType, publicKey: Uint8Array): Promise<string> =>
  `${name}+${hex8(await keyIdOf(name, type, publicKey))}+${toBase64(concat(Uint8Array.of(type), publicKey))}`

/** A fresh key pair as Go writes them: the signer key string (a secret) and the verifier key string. */
export const generateNoteKey = async (
  name: string,
  type: NoteKeyType,
): Promise<E.Either<string, { readonly signerKey: string; readonly verifierKey: string }>> => {
  const problem = noteKeyNameProblem(name)
  if (problem !== undefined)
    return E.left(
      `key name ${JSON.stringify(name)}: ${problem}; a key name is non-empty, without spaces, '+' or control characters`,
    )
  const seed = crypto.getRandomValues(new Uint8Array(32))
  const { publicKey } = await publicKeyOfSeed(seed)
  const keyId = await keyIdOf(name, type, publicKey)
  return E.right({
    signerKey: `PRIVATE+KEY+${name}+${hex8(keyId)}+${toBase64(concat(Uint8Array.of(type), seed))}`,
    verifierKey: await verifierKeyText(name, type, publicKey),
  })
}

/** Splits `name+hexid+base64` and checks the ID against the key, as Go's `NewVerifier` does. */
const parseKeyParts = (
  text: string,
  what: string,
): E.Either<string, { name: string; keyId: number; type: NoteKeyType; key: Uint8Array }> => {
  // A key file holds one key string; a second line would only show as bad base64 at the end.
  if (/[\r\n]/.test(text)) return E.left(`${what}: more than one line; a key is one line`)
  // base64 has '+' too: the key is everything after the second separator, as in Go.
  const [name, id, ...rest] = text.split('+')
  const key = rest.length === 0 ? undefined : rest.join('+')
  if (name === undefined || id === undefined || key === undefined)
    return E.left(`not a ${what}: expected <name>+<hex key id>+<base64 key>`)
  const nameProblem = noteKeyNameProblem(name)
  if (nameProblem !== undefined) return E.left(`${what}: the name ${JSON.stringify(name)}: ${nameProblem}`)
  if (!/^[0-9a-f]{8}$/.test(id)) return E.left(`${what}: the key id ${id} is not 8 lowercase hex digits`)
  const bytes = fromBase64(key)
  if (bytes === undefined) return E.left(`${what}: the key is not base64`)
  const type = bytes[0]
  if (!isKeyType(type))
    return E.left(
      `${what}: unknown key type ${String(type)} (0x01 Ed25519 and 0x04 cosignature/v1 are known)`,
    )
  if (bytes.length !== 33) return E.left(`${what}: an Ed25519 key has 32 bytes, this one ${bytes.length - 1}`)
  return E.right({ name, keyId: Number.parseInt(id, 16), type, key: bytes.subarray(1) })
}

export const parseVerifierKey = async (text: string): Promise<E.Either<string, NoteVerifier>> => {
  const trimmed = text.trim()
  // A signer key is one word longer, so read as a verifier key it fails on its "key id" (KEY).
  if (trimmed.startsWith('PRIVATE+KEY+'))
    return E.left(
      'this is a signer key (PRIVATE+KEY+…), which must stay with its owner: give its verifier key string (the .vkey file)',
    )
  const parts = parseKeyParts(trimmed, 'verifier key')
  if (E.isLeft(parts)) return parts
  const { name, keyId, type, key } = parts.right
  if ((await keyIdOf(name, type, key)) !== keyId)
    return E.left('verifier key: the key id does not match the key')
  try {
    const publicKey = await crypto.subtle.importKey('raw', concat(key), ed25519, true, ['verify'])
    return E.right({ name, keyId, type, publicKey, text: trimmed })
  } catch (error) {
    return E.left(`verifier key: ${error instanceof Error ? error.message : String(error)}`)
  }
}

export const parseSignerKey = async (text: string): Promise<E.Either<string, NoteSigner>> => {
  const trimmed = text.trim()
  if (!trimmed.startsWith('PRIVATE+KEY+'))
    return E.left('not a signer key: expected PRIVATE+KEY+<name>+<hex key id>+<base64 key>')
  const parts = parseKeyParts(trimmed.slice('PRIVATE+KEY+'.length), 'signer key')
  if (E.isLeft(parts)) return parts
  const { name, keyId, type, key } = parts.right
  const { privateKey, publicKey } = await publicKeyOfSeed(key)
  if ((await keyIdOf(name, type, publicKey)) !== keyId)
    return E.left('signer key: the key id does not match the key')
  return E.right({ name, keyId, type, privateKey, verifierKey: await verifierKeyText(name, type, publicKey) })
}

export const ed25519Sign = async (privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.sign(ed25519, privateKey, concat(message)))

export const ed25519Verify = async (
  publicKey: CryptoKey,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> => {
  try {
    return await crypto.subtle.verify(ed25519, publicKey, concat(signature), concat(message))
  } catch {
    return false
  }
}
