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
 * Formats go through the maintained libraries: `@sd-jwt/decode` splits and decodes the SD-JWT and
 * unpacks the disclosed claims (its synchronous functions when the caller gives a synchronous
 * SHA-256), `jose` imports the keys, `@sd-jwt/jwt-status-list` reads the list; every JWS signature
 * is checked by `jwsSignatureValid` with the caller's `SignatureBackend` (Web Crypto by default).
 * Keys are imported once: the issuer's when the verifier is made, a device key on its first
 * presentation (kept among the last 10,000).
 *
 * @example
 * const verify = presentationVerifier({ jwks, issuer: 'https://elicence.example', statusList: fetchList })
 * await verify(text, { now: Date.now() })
 * // { valid: false, reasons: ['presentation-stale'], status: 'valid', disclosed: { masked_name: '张*', … }, … }
 */
import { decodeJwt, splitSdJwt, unpack, unpackSync } from '@sd-jwt/decode'
import { Disclosure } from '@sd-jwt/utils'
import { base64url, type JWK } from 'jose'
import { eLicenceCredentialType } from './claims.js'
import { disclosureProblemKinds, disclosureProblems } from './disclosures.js'
import { keyBindingAlgorithmOf } from './holder-key.js'
import { type IssuerJwks, issuerAlgorithm } from './issuer-keys.js'
import {
  type JwsAlgorithm,
  jwsSignatureValid,
  type SignatureBackend,
  webCryptoSignatureBackend,
} from './jws.js'
import { type Sha256, sdJwtHasher, sdJwtHasherSync } from './sd-jwt.js'
import { type StatusCheck, type StatusListFetch, statusChecker, statusReasons } from './status-check.js'

export const presentationReasons = [
  'malformed-presentation',
  'unknown-issuer-key',
  'issuer-signature-invalid',
  'wrong-credential-type',
  'wrong-issuer',
  ...disclosureProblemKinds,
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
  readonly iat: number
  readonly aud: string | null
  readonly nonce: string | null
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
  /** Checks signatures; default Web Crypto. Node passes `nodeSignatureBackend`. */
  readonly signatures?: SignatureBackend
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

export const defaultPresentationMaxAgeSeconds = 60

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const malformed = (): PresentationVerification => ({
  valid: false,
  reasons: ['malformed-presentation'],
  disclosed: {},
  status: 'unchecked',
  keyBinding: null,
  credential: { issuer: null, issuedAt: null, expiresAt: null, kid: null },
})

/** Claims of the issuer-signed payload that describe the credential rather than the licence. */
const envelopeClaims = new Set(['iss', 'iat', 'exp', 'nbf', 'vct', 'cnf', 'status', 'sub', '_sd_alg'])

/** Device keys imported recently: a holder presents every few seconds with the same key. */
const deviceKeyCacheSize = 10_000

export const presentationVerifier = (options: PresentationVerifierOptions): PresentationVerifier => {
  const signatures = options.signatures ?? webCryptoSignatureBackend
  // A key that fails to import is remembered as such: it never verifies.
  const importOnce = (jwk: JWK, algorithm: JwsAlgorithm): Promise<unknown> =>
    Promise.resolve()
      .then(() => signatures.importKey(jwk, algorithm))
      .catch(() => undefined)
  const issuerKeys = new Map(
    options.jwks.keys.map((key) => [key.kid, importOnce({ ...key }, issuerAlgorithm)]),
  )
  const deviceKeys = new Map<string, Promise<unknown>>()
  const deviceKey = (jwk: Record<string, unknown>, algorithm: JwsAlgorithm): Promise<unknown> => {
    const id = `${algorithm} ${jwk.kty} ${jwk.crv} ${jwk.x} ${jwk.y}`
    const cached = deviceKeys.get(id)
    if (cached !== undefined) return cached
    const key = importOnce(jwk as JWK, algorithm)
    if (deviceKeys.size >= deviceKeyCacheSize) deviceKeys.delete(deviceKeys.keys().next().value ?? '')
    deviceKeys.set(id, key)
    return key
  }
  const verifiesWith = async (
    jws: string,
    header: Record<string, unknown>,
    algorithm: JwsAlgorithm,
    key: Promise<unknown>,
  ): Promise<boolean> => {
    const imported = await key
    return imported !== undefined && jwsSignatureValid(signatures, jws, header, algorithm, imported)
  }
  const hasher = sdJwtHasher(options.sha256)
  const hasherSync = options.sha256 === undefined ? undefined : sdJwtHasherSync(options.sha256)
  const decodeDisclosures = (encoded: ReadonlyArray<string>): Disclosure[] | Promise<Disclosure[]> =>
    hasherSync === undefined
      ? Promise.all(encoded.map((text) => Disclosure.fromEncode(text, { hasher, alg: 'sha-256' })))
      : encoded.map((text) => Disclosure.fromEncodeSync(text, { hasher: hasherSync, alg: 'sha-256' }))
  const maxAgeSeconds = options.maxAgeSeconds ?? defaultPresentationMaxAgeSeconds
  const futureSkewSeconds = options.futureSkewSeconds ?? 10
  const statusOf = statusChecker({
    issuerKey: (kid) => issuerKeys.get(kid),
    signatures,
    statusList: options.statusList,
  })

  return async (text, check) => {
    const nowSeconds = Math.floor(check.now / 1000)
    let parts: ReturnType<typeof splitSdJwt>
    let header: Record<string, unknown>
    let payload: Record<string, unknown>
    let disclosures: Disclosure[]
    try {
      parts = splitSdJwt(text.trim())
      ;({ header, payload } = decodeJwt(parts.jwt))
      disclosures = await decodeDisclosures(parts.disclosures)
    } catch {
      return malformed()
    }
    if (!isRecord(payload) || !isRecord(header) || (payload._sd_alg ?? 'sha-256') !== 'sha-256')
      return malformed()
    const reasons: PresentationReason[] = []
    const kid = typeof header.kid === 'string' ? header.kid : null

    // The issuer's signature, by kid.
    const issuerKey = kid === null ? undefined : issuerKeys.get(kid)
    if (issuerKey === undefined) reasons.push('unknown-issuer-key')
    else if (!(await verifiesWith(parts.jwt, header, issuerAlgorithm, issuerKey)))
      reasons.push('issuer-signature-invalid')
    if (header.typ !== 'dc+sd-jwt' || payload.vct !== eLicenceCredentialType)
      reasons.push('wrong-credential-type')
    if (options.issuer !== undefined && payload.iss !== options.issuer) reasons.push('wrong-issuer')

    // Every disclosure must be one the issuer signed, once.
    const problems = disclosureProblems(payload, disclosures)
    reasons.push(...problems)
    let disclosed: Record<string, unknown> = {}
    if (problems.length === 0) {
      // The library unpacks a copy: the payload stays as signed.
      const { unpackedObj } =
        hasherSync === undefined
          ? await unpack(payload, disclosures, hasher)
          : unpackSync(payload, disclosures, hasherSync)
      if (isRecord(unpackedObj)) {
        disclosed = Object.fromEntries(
          Object.entries(unpackedObj).filter(([name]) => !envelopeClaims.has(name)),
        )
      }
    }

    const exp = typeof payload.exp === 'number' ? payload.exp : null
    const iat = typeof payload.iat === 'number' ? payload.iat : null
    if (exp === null || exp <= nowSeconds) reasons.push('credential-expired')
    if (iat === null || iat > nowSeconds + futureSkewSeconds) reasons.push('credential-not-yet-valid')

    // The Key Binding JWT: the device key of `cnf.jwk` signed this very presentation, just now.
    let keyBinding: KeyBindingSummary | null = null
    if (parts.kbJwt === undefined || parts.kbJwt === '') reasons.push('key-binding-missing')
    else {
      const kb = (() => {
        try {
          return decodeJwt(parts.kbJwt)
        } catch {
          return undefined
        }
      })()
      const cnf = isRecord(payload.cnf) && isRecord(payload.cnf.jwk) ? payload.cnf.jwk : undefined
      const algorithm = cnf === undefined ? undefined : keyBindingAlgorithmOf(cnf)
      if (kb === undefined || kb.header.typ !== 'kb+jwt' || typeof kb.payload.iat !== 'number') {
        reasons.push('key-binding-malformed')
      } else {
        keyBinding = {
          iat: kb.payload.iat,
          aud: typeof kb.payload.aud === 'string' ? kb.payload.aud : null,
          nonce: typeof kb.payload.nonce === 'string' ? kb.payload.nonce : null,
          ageSeconds: nowSeconds - kb.payload.iat,
        }
        const signed =
          cnf !== undefined &&
          algorithm !== undefined &&
          (await verifiesWith(parts.kbJwt, kb.header, algorithm, deviceKey(cnf, algorithm)))
        if (!signed) reasons.push('key-binding-signature-invalid')
        const presented = text.trim()
        const withoutKb = presented.slice(0, presented.lastIndexOf('~') + 1)
        const sdHash = base64url.encode(
          hasherSync === undefined ? await hasher(withoutKb, 'sha-256') : hasherSync(withoutKb, 'sha-256'),
        )
        if (kb.payload.sd_hash !== sdHash) reasons.push('key-binding-sd-hash-mismatch')
        if (keyBinding.ageSeconds > maxAgeSeconds) reasons.push('presentation-stale')
        if (keyBinding.ageSeconds < -futureSkewSeconds) reasons.push('presentation-from-future')
        if (check.nonce !== undefined && keyBinding.nonce !== check.nonce) reasons.push('nonce-mismatch')
        if (check.audience !== undefined && keyBinding.aud !== check.audience)
          reasons.push('audience-mismatch')
      }
    }

    const status = await statusOf(payload.status, nowSeconds)
    reasons.push(...status.reasons)
    return {
      valid: reasons.length === 0,
      reasons,
      // Claims are shown only as the issuer signed them.
      disclosed:
        reasons.includes('unknown-issuer-key') || reasons.includes('issuer-signature-invalid')
          ? {}
          : disclosed,
      status: status.status,
      keyBinding,
      credential: {
        issuer: typeof payload.iss === 'string' ? payload.iss : null,
        issuedAt: iat,
        expiresAt: exp,
        kid,
      },
    }
  }
}

/** For clients that build a KB-JWT: the `sd_hash` over the presentation up to its last `~`. */
export const sdHashOf = async (presentationWithoutKb: string, sha256?: Sha256): Promise<string> =>
  base64url.encode(await sdJwtHasher(sha256)(presentationWithoutKb, 'sha-256'))
