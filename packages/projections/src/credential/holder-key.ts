/**
 * The holder device's public key, as a client sends it to obtain a credential: a P-256 key (what a
 * browser's Web Crypto makes) or an Ed25519 key, as a JWK with its public members only. It becomes
 * the credential's `cnf.jwk`, which only its minimal members enter (they keep the QR code small).
 * A key carrying private members (`d`, or RSA's) is refused: the device never sends its secret.
 *
 * @example
 * HolderKey.decode({ kty: 'EC', crv: 'P-256', x: '…43 chars…', y: '…43 chars…' }) // Right(…)
 * CredentialRequest.decode({ holderKey: { kty: 'OKP', crv: 'Ed25519', x: '…', d: '…' } }) // Left: holderKey.d
 */
import { describeCodec } from '@elicence/domain'
import * as t from 'io-ts'
import type { JwsAlgorithm } from './jws.js'

interface Base64UrlCoordinateBrand {
  readonly Base64UrlCoordinate: unique symbol
}

// 42 characters and a last one whose unused low bits are zero: exactly 32 bytes, canonical.
const coordinatePattern = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/** A 256-bit curve coordinate or Ed25519 public key: 32 bytes, unpadded base64url (43 characters). */
export const Base64UrlCoordinate = describeCodec(
  t.brand(
    t.string,
    (text): text is t.Branded<string, Base64UrlCoordinateBrand> => coordinatePattern.test(text),
    'Base64UrlCoordinate',
  ),
  { pattern: coordinatePattern.source, description: '32 bytes, unpadded base64url.' },
)

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

/** Members that only a private key has (RFC 7518 §6): none may be sent. */
const NoPrivateMembers = describeCodec(
  t.partial(
    Object.fromEntries(privateMembers.map((member) => [member, t.undefined])) as Record<
      (typeof privateMembers)[number],
      t.UndefinedC
    >,
  ),
  {
    // `not: {}` matches nothing: the member may not be present.
    properties: Object.fromEntries(privateMembers.map((member) => [member, { not: {} }])),
    description: 'A public key only: no private member (d, p, q, dp, dq, qi).',
  },
)

export const P256PublicJwk = t.intersection(
  [
    t.type({ kty: t.literal('EC'), crv: t.literal('P-256'), x: Base64UrlCoordinate, y: Base64UrlCoordinate }),
    NoPrivateMembers,
  ],
  'P256PublicJwk',
)

export const Ed25519PublicJwk = t.intersection(
  [t.type({ kty: t.literal('OKP'), crv: t.literal('Ed25519'), x: Base64UrlCoordinate }), NoPrivateMembers],
  'Ed25519PublicJwk',
)

export const HolderKey = t.union([P256PublicJwk, Ed25519PublicJwk], 'HolderKey')
export type HolderKey = t.TypeOf<typeof HolderKey>

/** The body of `POST /licences/:licenceNumber/credentials`. */
export const CredentialRequest = t.type({ holderKey: HolderKey }, 'CredentialRequest')
export type CredentialRequest = t.TypeOf<typeof CredentialRequest>

/** The members that enter `cnf.jwk`, in RFC 7638 order: nothing else the client sent. */
export const confirmationKeyOf = (key: HolderKey): Record<string, string> =>
  key.kty === 'EC'
    ? { crv: key.crv, kty: key.kty, x: key.x, y: key.y }
    : { crv: key.crv, kty: key.kty, x: key.x }

// P-256 (FIPS 186-4 D.1.2.3, SEC 2 §2.4.2): y² = x³ − 3x + b over the prime p.
const p256Prime = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n
const p256B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn

const base64UrlDigits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The big-endian integer of a `Base64UrlCoordinate` (43 characters, 6 bits each, 2 bits of padding). */
const coordinateValue = (coordinate: string): bigint => {
  let value = 0n
  for (const character of coordinate) value = (value << 6n) | BigInt(base64UrlDigits.indexOf(character))
  return value >> 2n
}

/**
 * Whether a P-256 JWK's coordinates are a point of the curve: both below p and on the curve
 * equation. P-256's cofactor is 1, so such a point is a valid public key (SEC 1 §3.2.2.1: the
 * subgroup check `n·Q = O` that node's JWK import adds is redundant for it), at a few µs instead of
 * the scalar multiplication that import costs.
 */
export const isP256Point = (key: Pick<t.TypeOf<typeof P256PublicJwk>, 'x' | 'y'>): boolean => {
  const x = coordinateValue(key.x)
  const y = coordinateValue(key.y)
  if (x >= p256Prime || y >= p256Prime) return false
  return (y * y - (x * x * x - 3n * x + p256B)) % p256Prime === 0n
}

/** The JWS algorithm a holder key signs Key Binding JWTs with. */
export const keyBindingAlgorithmOf = (key: {
  readonly kty?: unknown
  readonly crv?: unknown
}): JwsAlgorithm | undefined =>
  key.kty === 'EC' && key.crv === 'P-256'
    ? 'ES256'
    : key.kty === 'OKP' && key.crv === 'Ed25519'
      ? 'EdDSA'
      : undefined
