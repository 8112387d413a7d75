/**
 * Verifying a presentation of the e-licence credential (DESIGN §6), as any verifier would, from the
 * issuer's published metadata: the SD-JWT's issuer signature by `kid` against the issuer's JWKS, its
 * type, every disclosure against the signed digests (RFC 9901 §7.1, stricter than the library: see
 * `disclosures.ts`), `exp`, the Key Binding JWT (`typ: kb+jwt`) signed by the `cnf.jwk` device key,
 * its `sd_hash`, its freshness (`iat` at most `maxAgeSeconds` old, default 60) and, when the verifier
 * handed them out, its nonce and audience, and the status in the Token Status List the credential
 * names. Every check runs, and every failing one is a reason: a verifier sees all that is wrong. An
 * offline verifier (no `statusList`) skips only the status and says so (`status: 'unchecked'`).
 *
 * The checks but the status are `presentationChecker`'s (`presentation-checks.ts`), which can run
 * elsewhere (Node's worker threads); the status step is `presentationStatusChecker`'s.
 *
 * Formats go through the maintained libraries: `@sd-jwt/decode` splits and decodes the SD-JWT and
 * unpacks the disclosed claims (its synchronous functions when the caller gives a synchronous
 * SHA-256), `jose` imports the keys, `@sd-jwt/jwt-status-list` reads the list; every JWS signature
 * is checked by `jwsSignatureValid` with the caller's `SignatureBackend` (Web Crypto by default).
 *
 * @example
 * const verify = presentationVerifier({ jwks, issuer: 'https://elicence.example', statusList: fetchList })
 * await verify(text, { now: Date.now() })
 * // { valid: false, reasons: ['presentation-stale'], status: 'valid', disclosed: { masked_name: '张*', … }, … }
 */
import { disclosureProblemKinds } from './disclosures.js'
import { type IssuerJwks, issuerAlgorithm } from './issuer-keys.js'
import { importedKey, type SignatureBackend, webCryptoSignatureBackend } from './jws.js'
import { type CheckedPresentation, presentationChecker } from './presentation-checks.js'
import { base64UrlDigests, type Sha256, sdJwtHasher } from './sd-jwt.js'
import {
  type StatusCheck,
  type StatusListFetch,
  type StatusOutcome,
  statusChecker,
  statusReasons,
} from './status-check.js'

/** The reasons the issuer-signed part gives: with any of them, nothing in it is the issuer's word. */
const issuerPartReasonList = [
  'malformed-presentation',
  'unknown-issuer-key',
  'issuer-signature-invalid',
  'wrong-credential-type',
  'wrong-issuer',
  ...disclosureProblemKinds,
] as const

export const presentationReasons = [
  ...issuerPartReasonList,
  'credential-expired',
  'credential-not-yet-valid',
  'key-binding-missing',
  'key-binding-malformed',
  'key-binding-signature-invalid',
  'key-binding-sd-hash-mismatch',
  'presentation-stale',
  'presentation-from-future',
  'nonce-mismatch',
  'audience-mismatch',
  ...statusReasons,
] as const
export type PresentationReason = (typeof presentationReasons)[number]

export interface KeyBindingSummary {
  /** NumericDate: seconds since the epoch, fractional when the holder wrote it so. */
  readonly iat: number
  /** The audience as the KB-JWT names it: one, or several (RFC 7519 §4.1.3). */
  readonly aud: string | ReadonlyArray<string>
  readonly nonce: string
  /** Seconds between `iat` and the verifier's clock; negative when it claims a later time. */
  readonly ageSeconds: number
}

export interface PresentationVerification {
  readonly valid: boolean
  readonly reasons: ReadonlyArray<PresentationReason>
  /** The claims the holder disclosed, as the issuer signed them (empty when they cannot be trusted). */
  readonly disclosed: Readonly<Record<string, unknown>>
  readonly status: StatusCheck
  readonly keyBinding: KeyBindingSummary | null
  readonly credential: {
    readonly issuer: string | null
    readonly issuedAt: number | null
    readonly expiresAt: number | null
    readonly kid: string | null
  }
}

export interface PresentationVerifierOptions {
  readonly jwks: IssuerJwks
  /** When given, `iss` must be this. */
  readonly issuer?: string
  /** Absent: offline, the status is not checked (`unchecked`). */
  readonly statusList?: StatusListFetch
  /** Oldest accepted KB-JWT, in seconds; default 60. */
  readonly maxAgeSeconds?: number
  /** How far ahead of the verifier's clock a KB-JWT's `iat` may be (clock skew); default 10 s. */
  readonly futureSkewSeconds?: number
  readonly sha256?: Sha256
  /**
   * The base64url SHA-256 of a text's UTF-8, as the digests of the disclosures and `sd_hash` are
   * written, synchronously; when given it makes them instead of `sha256`. Node passes
   * `nodeSha256Base64Url`: one native call, where the UTF-8 copy, the hash and the base64url in
   * JavaScript cost about ten times as much (7.5 µs against 0.75 µs a disclosure here).
   */
  readonly sha256Base64Url?: (text: string) => string
  /** Checks signatures; default Web Crypto. Node passes `nodeSignatureBackend`. */
  readonly signatures?: SignatureBackend
  /**
   * How many issuer-signed parts of presentations that verified are kept, with what they gave (the
   * issuer signature checked, the disclosures unpacked, the device key imported), for the next
   * presentations of the same credential (`credential-cache.ts`); default 4096, 0 keeps none.
   */
  readonly credentialCacheSize?: number
}

export interface PresentationCheck {
  /** The verifier's clock, epoch milliseconds. */
  readonly now: number
  /** The nonce the verifier handed out, if any: only it is accepted. */
  readonly nonce?: string
  /** The verifier's own identifier, if the holder was told it: only it is accepted as `aud`. */
  readonly audience?: string
}

export type PresentationVerifier = (
  text: string,
  check: PresentationCheck,
) => Promise<PresentationVerification>

/** A checked presentation completed with the outcome of its status: the status reasons come last. */
export const withStatus = (
  { verification }: CheckedPresentation,
  status: StatusOutcome,
): PresentationVerification => {
  const reasons = [...verification.reasons, ...status.reasons]
  return { ...verification, valid: reasons.length === 0, reasons, status: status.status }
}

const issuerPartReasons: ReadonlySet<PresentationReason> = new Set<PresentationReason>(issuerPartReasonList)

/** The status step: the lists are read with the issuer's keys, each imported once. */
export const presentationStatusChecker = (
  options: Pick<PresentationVerifierOptions, 'jwks' | 'signatures' | 'statusList'>,
): ((checked: CheckedPresentation, nowSeconds: number) => Promise<PresentationVerification>) => {
  const signatures = options.signatures ?? webCryptoSignatureBackend
  const issuerKeys = new Map(
    options.jwks.keys.map((key) => [key.kid, importedKey(signatures, { ...key }, issuerAlgorithm)]),
  )
  const statusOf = statusChecker({
    issuerKey: (kid) => issuerKeys.get(kid),
    signatures,
    statusList: options.statusList,
  })
  return async (checked, nowSeconds) =>
    // A malformed presentation names no status to look up, and one whose issuer-signed part did not
    // verify names one nobody vouches for: a forgery's "status now: normal" would read as the
    // licence's own (it stays `unchecked`).
    'statusReference' in checked &&
    !checked.verification.reasons.some((reason) => issuerPartReasons.has(reason))
      ? withStatus(checked, await statusOf(checked.statusReference, nowSeconds))
      : checked.verification
}

export const presentationVerifier = (options: PresentationVerifierOptions): PresentationVerifier => {
  const check = presentationChecker(options)
  const completed = presentationStatusChecker(options)
  return async (text, presentationCheck) =>
    completed(await check(text, presentationCheck), Math.floor(presentationCheck.now / 1000))
}

/** For clients that build a KB-JWT: the `sd_hash` over the presentation up to its last `~`. */
export const sdHashOf = async (presentationWithoutKb: string, sha256?: Sha256): Promise<string> =>
  base64UrlDigests(sdJwtHasher(sha256))(presentationWithoutKb)
