/**
 * Keys for presentations, through Web Crypto (Node ≥ 20 and browsers): the Ed25519 pair that signs
 * and verifies them, and the AES-256-GCM reference key that seals the e-licence id inside them (only
 * the issuing service holds it). The Ed25519 keys come from configuration as PEM (PKCS #8 private,
 * SPKI public) or JWK, the reference key as 32 raw bytes in base64url or an `oct` JWK; dev keys are
 * one call. Failures are values: a configuration error names what was wrong, never the key.
 *
 * @example
 * const { privateKeyPem, publicKeyPem, referenceKey } = await generatePresentationKeys()
 * const signingKey = await importSigningKey(privateKeyPem)      // Either<string, CryptoKey>
 * const verificationKey = await importVerificationKey(publicKeyPem)
 * const sealingKey = await importReferenceKey(referenceKey)     // server-side only
 */
import * as E from 'fp-ts/lib/Either.js'

const algorithm = { name: 'Ed25519' } as const
const referenceAlgorithm = { name: 'AES-GCM', length: 256 } as const
const referenceKeyBytes = 32

export interface GeneratedKeys {
  readonly privateKeyPem: string
  readonly publicKeyPem: string
  readonly privateJwk: JsonWebKey
  readonly publicJwk: JsonWebKey
  /** The AES-256 reference key: 32 random bytes, base64url (43 characters). A secret, like the private key. */
  readonly referenceKey: string
  readonly referenceJwk: JsonWebKey
}

const toBase64 = (bytes: Uint8Array): string => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const fromBase64 = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  try {
    const binary = atob(text)
    const bytes = new Uint8Array(binary.length)
    for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index)
    return bytes
  } catch {
    return undefined
  }
}

export const base64UrlEncode = (bytes: Uint8Array): string =>
  toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

export const base64UrlDecode = (text: string): Uint8Array<ArrayBuffer> | undefined =>
  /^[A-Za-z0-9_-]*$/.test(text) ? fromBase64(text.replace(/-/g, '+').replace(/_/g, '/')) : undefined

const pem = (label: string, der: ArrayBuffer): string => {
  const body = toBase64(new Uint8Array(der)).replace(/(.{64})/g, '$1\n')
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`
}

/** Fresh keys for development and tests; production keys come from configuration. */
export const generatePresentationKeys = async (): Promise<GeneratedKeys> => {
  const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair
  const reference = await crypto.subtle.generateKey(referenceAlgorithm, true, ['encrypt', 'decrypt'])
  const [pkcs8, spki, privateJwk, publicJwk, referenceRaw, referenceJwk] = await Promise.all([
    crypto.subtle.exportKey('pkcs8', pair.privateKey),
    crypto.subtle.exportKey('spki', pair.publicKey),
    crypto.subtle.exportKey('jwk', pair.privateKey),
    crypto.subtle.exportKey('jwk', pair.publicKey),
    crypto.subtle.exportKey('raw', reference),
    crypto.subtle.exportKey('jwk', reference),
  ])
  return {
    privateKeyPem: pem('PRIVATE KEY', pkcs8),
    publicKeyPem: pem('PUBLIC KEY', spki),
    privateJwk,
    publicJwk,
    referenceKey: base64UrlEncode(new Uint8Array(referenceRaw)),
    referenceJwk,
  }
}

const pemBody = (text: string, label: string): Uint8Array<ArrayBuffer> | undefined => {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text)
  return match === null ? undefined : fromBase64((match[1] ?? '').replace(/\s+/g, ''))
}

const parseJwk = (config: string | JsonWebKey): JsonWebKey | undefined => {
  if (typeof config !== 'string') return config
  try {
    const parsed: unknown = JSON.parse(config)
    return typeof parsed === 'object' && parsed !== null ? (parsed as JsonWebKey) : undefined
  } catch {
    return undefined
  }
}

const attempt = async (run: () => Promise<CryptoKey>, what: string): Promise<E.Either<string, CryptoKey>> => {
  try {
    return E.right(await run())
  } catch (error) {
    return E.left(`${what}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** The PEM each key of the pair comes as, and how an error names it. */
const pemForms = {
  signing: { label: 'PRIVATE KEY', format: 'pkcs8', usage: 'sign', form: 'a PKCS #8 "PRIVATE KEY" PEM' },
  verification: { label: 'PUBLIC KEY', format: 'spki', usage: 'verify', form: 'an SPKI "PUBLIC KEY" PEM' },
} as const

type KeyRole = keyof typeof pemForms

/** The DER inside the signing or the verification key's PEM, or why there is none. */
const derOf = (text: string, role: KeyRole): E.Either<string, Uint8Array<ArrayBuffer>> => {
  const der = pemBody(text, pemForms[role].label)
  return der === undefined ? E.left(`the ${role} key is not ${pemForms[role].form}`) : E.right(der)
}

const importPem = async (
  text: string,
  role: KeyRole,
  extractable: boolean,
): Promise<E.Either<string, CryptoKey>> => {
  const der = derOf(text, role)
  if (E.isLeft(der)) return der
  const { format, usage } = pemForms[role]
  return attempt(
    () => crypto.subtle.importKey(format, der.right, algorithm, extractable, [usage]),
    `the ${role} key is not an Ed25519 key`,
  )
}

/** The private key that signs presentations, from PKCS #8 PEM or a JWK with `d`. */
export const importSigningKey = async (config: string | JsonWebKey): Promise<E.Either<string, CryptoKey>> => {
  if (typeof config === 'string' && config.includes('-----BEGIN')) return importPem(config, 'signing', false)
  const jwk = parseJwk(config)
  if (jwk === undefined || jwk.d === undefined)
    return E.left('the signing key is neither a PEM nor a private JWK')
  return attempt(
    () => crypto.subtle.importKey('jwk', { ...jwk, key_ops: ['sign'] }, algorithm, false, ['sign']),
    'the signing key is not an Ed25519 JWK',
  )
}

/**
 * The public key that verifies presentations, from SPKI PEM or a JWK. A private JWK is accepted too
 * (its public half is used), so a dev setup can share one configuration value.
 */
export const importVerificationKey = async (
  config: string | JsonWebKey,
): Promise<E.Either<string, CryptoKey>> => {
  if (typeof config === 'string' && config.includes('-----BEGIN')) {
    return importPem(config, 'verification', true)
  }
  const jwk = parseJwk(config)
  if (jwk === undefined || jwk.x === undefined)
    return E.left('the verification key is neither a PEM nor a JWK')
  // Only the public members: a private JWK given here must not make a signing-capable key.
  const publicJwk: JsonWebKey = { kty: jwk.kty ?? 'OKP', crv: jwk.crv ?? 'Ed25519', x: jwk.x }
  return attempt(
    () => crypto.subtle.importKey('jwk', publicJwk, algorithm, true, ['verify']),
    'the verification key is not an Ed25519 JWK',
  )
}

/** The 32 bytes of a reference key given as base64url (or base64, as `openssl rand -base64 32` prints) or a JWK. */
const rawReferenceKey = (config: string | JsonWebKey): E.Either<string, Uint8Array<ArrayBuffer>> => {
  const sized = (raw: Uint8Array<ArrayBuffer> | undefined, what: string) =>
    raw?.length === referenceKeyBytes
      ? E.right(raw)
      : E.left(`the reference key ${what} does not hold ${referenceKeyBytes} bytes (AES-256)`)
  if (typeof config === 'string' && !config.trim().startsWith('{')) {
    const text = config.trim().replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    return sized(base64UrlDecode(text), 'text')
  }
  const jwk = parseJwk(config)
  if (jwk === undefined || jwk.kty !== 'oct' || typeof jwk.k !== 'string')
    return E.left('the reference key is neither base64url bytes nor a symmetric ("oct") JWK')
  if (jwk.alg !== undefined && jwk.alg !== 'A256GCM')
    return E.left(`the reference key JWK is for ${jwk.alg}, not A256GCM`)
  return sized(base64UrlDecode(jwk.k), 'JWK')
}

/**
 * The AES-256-GCM key that seals and opens presentation references, from 32 raw bytes in base64url
 * or an `oct` JWK. It stays with the issuing service: a verifier needs only the public key, and only
 * the service can resolve a reference for the online check.
 */
export const importReferenceKey = async (
  config: string | JsonWebKey,
): Promise<E.Either<string, CryptoKey>> => {
  const raw = rawReferenceKey(config)
  if (E.isLeft(raw)) return raw
  return attempt(
    () => crypto.subtle.importKey('raw', raw.right, referenceAlgorithm, false, ['encrypt', 'decrypt']),
    'the reference key is not an AES-256 key',
  )
}

/** The public key (SPKI PEM) that belongs to a private key given as PEM or JWK, for publishing. */
export const publicKeyPemOf = async (config: string | JsonWebKey): Promise<E.Either<string, string>> => {
  let jwk: JsonWebKey | undefined
  if (typeof config === 'string' && config.includes('-----BEGIN')) {
    const der = derOf(config, 'signing')
    if (E.isLeft(der)) return der
    try {
      const key = await crypto.subtle.importKey('pkcs8', der.right, algorithm, true, ['sign'])
      jwk = await crypto.subtle.exportKey('jwk', key)
    } catch (error) {
      return E.left(`the signing key is not an Ed25519 key: ${error instanceof Error ? error.message : ''}`)
    }
  } else {
    jwk = parseJwk(config)
  }
  const verification =
    jwk === undefined ? E.left('the key is neither a PEM nor a JWK') : await importVerificationKey(jwk)
  if (E.isLeft(verification)) return verification
  return E.right(pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', verification.right)))
}
