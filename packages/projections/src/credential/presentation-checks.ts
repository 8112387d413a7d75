/**
 * Every check of DESIGN §6 on a presentation but its status (`verify.ts` adds that): the issuer
 * signature by `kid`, the type and issuer, every disclosure against the signed digests (RFC 9901
 * §7.1, stricter than the library: see `disclosures.ts`), `exp`, the Key Binding JWT's signature by
 * `cnf.jwk`, its `sd_hash`, freshness, nonce and audience. It needs nothing but the issuer's JWKS,
 * so it can run wherever the caller likes (Node runs it on worker threads, `verifier-threads.ts`),
 * while the status list is looked up where the lists are.
 *
 * Keys are imported once: the issuer's when the checker is made, a device key on its first
 * presentation (kept among the last 10,000). With a synchronous SHA-256 the library's synchronous
 * decoding is used.
 *
 * @example
 * const check = presentationChecker({ jwks, issuer: 'https://elicence.example' })
 * const { verification, statusReference } = await check(text, { now: Date.now() })
 */
import { decodeJwt, splitSdJwt, unpack, unpackSync } from '@sd-jwt/decode'
import { Disclosure } from '@sd-jwt/utils'
import { base64url, type JWK } from 'jose'
import { eLicenceCredentialType } from './claims.js'
import { disclosureProblems } from './disclosures.js'
import { keyBindingAlgorithmOf } from './holder-key.js'
import { issuerAlgorithm } from './issuer-keys.js'
import { importedKey, type JwsAlgorithm, jwsSignatureValid, webCryptoSignatureBackend } from './jws.js'
import { sdJwtHasher, sdJwtHasherSync } from './sd-jwt.js'
import type {
  KeyBindingSummary,
  PresentationCheck,
  PresentationReason,
  PresentationVerification,
  PresentationVerifierOptions,
} from './verify.js'

export const defaultPresentationMaxAgeSeconds = 60

export type PresentationCheckerOptions = Omit<PresentationVerifierOptions, 'statusList'>

/** A presentation checked in all but its status (`status: 'unchecked'`, no status reason yet). */
export interface CheckedPresentation {
  readonly verification: PresentationVerification
  /**
   * The issuer-signed `status` claim, to look up in its list; absent for a malformed presentation,
   * whose status is never looked up.
   */
  readonly statusReference?: unknown
}

export type PresentationChecker = (text: string, check: PresentationCheck) => Promise<CheckedPresentation>

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const malformed = (): CheckedPresentation => ({
  verification: {
    valid: false,
    reasons: ['malformed-presentation'],
    disclosed: {},
    status: 'unchecked',
    keyBinding: null,
    credential: { issuer: null, issuedAt: null, expiresAt: null, kid: null },
  },
})

/** Claims of the issuer-signed payload that describe the credential rather than the licence. */
const envelopeClaims = new Set(['iss', 'iat', 'exp', 'nbf', 'vct', 'cnf', 'status', 'sub', '_sd_alg'])

/** Device keys imported recently: a holder presents every few seconds with the same key. */
const deviceKeyCacheSize = 10_000

export const presentationChecker = (options: PresentationCheckerOptions): PresentationChecker => {
  const signatures = options.signatures ?? webCryptoSignatureBackend
  const issuerKeys = new Map(
    options.jwks.keys.map((key) => [key.kid, importedKey(signatures, { ...key }, issuerAlgorithm)]),
  )
  const deviceKeys = new Map<string, Promise<unknown>>()
  const deviceKey = (jwk: Record<string, unknown>, algorithm: JwsAlgorithm): Promise<unknown> => {
    const id = `${algorithm} ${jwk.kty} ${jwk.crv} ${jwk.x} ${jwk.y}`
    const cached = deviceKeys.get(id)
    if (cached !== undefined) return cached
    const key = importedKey(signatures, jwk as JWK, algorithm)
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

    const verification: PresentationVerification = {
      valid: reasons.length === 0,
      reasons,
      // Claims are shown only as the issuer signed them.
      disclosed:
        reasons.includes('unknown-issuer-key') || reasons.includes('issuer-signature-invalid')
          ? {}
          : disclosed,
      status: 'unchecked',
      keyBinding,
      credential: {
        issuer: typeof payload.iss === 'string' ? payload.iss : null,
        issuedAt: iat,
        expiresAt: exp,
        kid,
      },
    }
    return { verification, statusReference: payload.status }
  }
}
