/**
 * Every check of DESIGN §6 on a presentation but its status (`verify.ts` adds that): the issuer
 * signature by `kid`, the type and issuer, every disclosure against the signed digests (RFC 9901
 * §7.1, stricter than the library: see `disclosures.ts`), `exp`, the Key Binding JWT's signature by
 * `cnf.jwk`, its `sd_hash`, freshness, nonce and audience. It needs nothing but the issuer's JWKS,
 * so it can run wherever the caller likes (Node runs it on worker threads, `verifier-threads.ts`),
 * while the status list is looked up where the lists are.
 *
 * The issuer's keys are imported once, when the checker is made. A presentation is checked in two
 * parts: the issuer-signed part (the SD-JWT up to its last `~`: decoded once by
 * `presentation-parts.ts`, each disclosure hashed once, the claims unpacked in the same walk that
 * checks them by `disclosures.ts`, the issuer signature, the device key of `cnf.jwk` imported),
 * which is the same every time the credential is presented that way and is kept once it verified
 * (`credential-cache.ts`); and the KB-JWT with the clock, checked every time. The two signatures
 * are checked at once, on the backend's threads where it has them (node's: libuv's pool). What this
 * accepts, and the claims it shows, are those of `@sd-jwt/decode`'s decoding and `unpack`, which
 * the tests use as the oracle; it is stricter in what it takes as well-formed.
 *
 * @example
 * const check = presentationChecker({ jwks, issuer: 'https://elicence.example' })
 * const { verification, statusReference } = await check(text, { now: Date.now() })
 */
import { recentlyUsed } from '@elicence/domain'
import type { JWK } from 'jose'
import { eLicenceCredentialType } from './claims.js'
import { credentialCacheSizeProblem, defaultCredentialCacheSize } from './credential-cache.js'
import { unpackDisclosures } from './disclosures.js'
import { keyBindingAlgorithmOf } from './holder-key.js'
import { issuerAlgorithm } from './issuer-keys.js'
import { importedKey, type JwsAlgorithm, jwsSignatureValid, webCryptoSignatureBackend } from './jws.js'
import {
  type DecodedDisclosure,
  type DecodedJwt,
  type DigestedDisclosure,
  decodedJwt,
  presentationParts,
} from './presentation-parts.js'
import { base64UrlDigests, sdJwtHasher } from './sd-jwt.js'
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

/**
 * The claims RFC 9901 §4.3 requires of a KB-JWT besides `sd_hash` (checked against the presentation
 * on its own): `iat` a NumericDate (RFC 7519 §2: seconds, possibly fractional), `aud` a string or a
 * non-empty array of them (§4.1.3), `nonce` a string. Undefined when one is missing or of another
 * type: the KB-JWT is then malformed, whether or not the caller named an audience or a nonce to
 * compare, as `@sd-jwt/sd-jwt-vc` refuses it too.
 */
const keyBindingClaims = (
  payload: Readonly<Record<string, unknown>>,
): Omit<KeyBindingSummary, 'ageSeconds'> | undefined => {
  const { iat, aud, nonce } = payload
  if (typeof iat !== 'number' || typeof nonce !== 'string') return undefined
  if (typeof aud === 'string') return { iat, aud, nonce }
  if (Array.isArray(aud) && aud.length > 0 && aud.every((each) => typeof each === 'string'))
    return { iat, aud: aud as ReadonlyArray<string>, nonce }
  return undefined
}

/** RFC 7519 §4.1.3: the verifier must be the audience, or one of them. */
const addressedTo = (aud: KeyBindingSummary['aud'], audience: string): boolean =>
  typeof aud === 'string' ? aud === audience : aud.includes(audience)

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

/** The claims the holder disclosed: the unpacked payload without its envelope. */
const licenceClaims = (claims: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const disclosed: Record<string, unknown> = {}
  for (const name in claims) {
    if (envelopeClaims.has(name)) continue
    if (name === '__proto__')
      Object.defineProperty(disclosed, name, {
        value: claims[name],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    else disclosed[name] = claims[name]
  }
  return disclosed
}

const notChecked: Promise<false> = Promise.resolve(false)

/** `value` frozen all the way down, in place: a kept part's claims, handed to every verification that hits it. */
const deepFrozen = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFrozen(member)
  }
  return value
}

/**
 * What a presentation's issuer-signed part gives, the same every time it is presented; the
 * promises settle by themselves (a kept part's have settled).
 */
interface IssuedPart {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
  readonly kid: string | null
  readonly algorithm: JwsAlgorithm | undefined
  /** The device key of `cnf.jwk`; undefined when it names no usable key, or was not asked for. */
  readonly deviceKey: Promise<unknown> | undefined
  /**
   * The part's own reasons, in the order every verification lists them (issuer key, signature,
   * type, issuer, disclosures), and its claims as the issuer signed them (empty when they cannot
   * be trusted).
   */
  readonly checked: Promise<{
    readonly reasons: ReadonlyArray<PresentationReason>
    readonly disclosed: Readonly<Record<string, unknown>>
  }>
}

export const presentationChecker = (options: PresentationCheckerOptions): PresentationChecker => {
  const signatures = options.signatures ?? webCryptoSignatureBackend
  const issuerKeys = new Map(
    options.jwks.keys.map((key) => [key.kid, importedKey(signatures, { ...key }, issuerAlgorithm)]),
  )
  const verifiesWith = async (
    jwt: DecodedJwt,
    algorithm: JwsAlgorithm,
    key: Promise<unknown>,
  ): Promise<boolean> => {
    const imported = await key
    return (
      imported !== undefined && jwsSignatureValid(signatures, jwt.compact, jwt.header, algorithm, imported)
    )
  }
  const digestOf = options.sha256Base64Url ?? base64UrlDigests(sdJwtHasher(options.sha256))
  // Synchronously with a synchronous SHA-256 (no promise per disclosure), else with Web Crypto's.
  const digested = (
    disclosures: ReadonlyArray<DecodedDisclosure>,
  ): ReadonlyArray<DigestedDisclosure> | Promise<ReadonlyArray<DigestedDisclosure>> => {
    const digests = disclosures.map((disclosure) => digestOf(disclosure.text))
    const withDigests = (all: ReadonlyArray<string>) =>
      disclosures.map((disclosure, index) => ({ ...disclosure, digest: all[index] as string }))
    return digests.every((digest) => typeof digest === 'string')
      ? withDigests(digests as string[])
      : Promise.all(digests).then(withDigests)
  }
  const cacheSize = options.credentialCacheSize ?? defaultCredentialCacheSize
  const cacheProblem = credentialCacheSizeProblem(cacheSize)
  if (cacheProblem !== undefined) throw new Error(cacheProblem)
  const kept = recentlyUsed<string, IssuedPart>(cacheSize)
  const maxAgeSeconds = options.maxAgeSeconds ?? defaultPresentationMaxAgeSeconds
  const futureSkewSeconds = options.futureSkewSeconds ?? 10

  /** The issuer-signed part checked; undefined when it is malformed. Its signature check starts now. */
  const issuedPart = (withoutKeyBinding: string, withDeviceKey: boolean): IssuedPart | undefined => {
    const parts = presentationParts(withoutKeyBinding)
    if (parts === undefined) return undefined
    const { header, payload } = parts.credential
    if ((payload._sd_alg ?? 'sha-256') !== 'sha-256') return undefined
    const kid = typeof header.kid === 'string' ? header.kid : null
    const issuerKey = kid === null ? undefined : issuerKeys.get(kid)
    const issuerSigned =
      issuerKey === undefined ? notChecked : verifiesWith(parts.credential, issuerAlgorithm, issuerKey)
    const cnf = isRecord(payload.cnf) && isRecord(payload.cnf.jwk) ? payload.cnf.jwk : undefined
    const algorithm = cnf === undefined ? undefined : keyBindingAlgorithmOf(cnf)
    const deviceKey =
      withDeviceKey && cnf !== undefined && algorithm !== undefined
        ? importedKey(signatures, cnf as JWK, algorithm)
        : undefined
    const checked = (async () => {
      // Every disclosure must be one the issuer signed, once; the claims are unpacked in the same walk.
      const unpacked = unpackDisclosures(payload, await digested(parts.disclosures))
      const reasons: PresentationReason[] = []
      if (issuerKey === undefined) reasons.push('unknown-issuer-key')
      else if (!(await issuerSigned)) reasons.push('issuer-signature-invalid')
      if (header.typ !== 'dc+sd-jwt' || payload.vct !== eLicenceCredentialType)
        reasons.push('wrong-credential-type')
      if (options.issuer !== undefined && payload.iss !== options.issuer) reasons.push('wrong-issuer')
      reasons.push(...unpacked.problems)
      const signedClaims = issuerKey !== undefined && !reasons.includes('issuer-signature-invalid')
      // Claims are shown only as the issuer signed them, and only when every disclosure is one it signed.
      const disclosed = signedClaims && unpacked.problems.length === 0 ? licenceClaims(unpacked.claims) : {}
      return { reasons, disclosed: deepFrozen(disclosed) }
    })()
    return { header, payload, kid, algorithm, deviceKey, checked }
  }

  return async (text, check) => {
    const nowSeconds = Math.floor(check.now / 1000)
    const presented = text.trim()
    // The KB-JWT is what follows the last `~` (none when that is empty, or for a lone JWT).
    const cut = presented.lastIndexOf('~')
    const withoutKeyBinding = cut < 0 ? presented : presented.slice(0, cut + 1)
    const keyBindingText = cut < 0 ? '' : presented.slice(cut + 1)
    const kb = keyBindingText === '' ? undefined : decodedJwt(keyBindingText)
    const kbClaims = kb === undefined || kb.header.typ !== 'kb+jwt' ? undefined : keyBindingClaims(kb.payload)
    const kbWellFormed = kbClaims !== undefined
    // What a KB-JWT must name, and the key of the part kept.
    const sdHash = await digestOf(withoutKeyBinding)
    const hit = kept.get(sdHash)
    const issued = hit ?? issuedPart(withoutKeyBinding, kbWellFormed)
    if (issued === undefined) return malformed()
    const { payload, kid, algorithm } = issued

    // The KB-JWT's signature starts beside the issuer's, by the device key of `cnf.jwk`.
    const kbSigned =
      kb !== undefined && kbWellFormed && issued.deviceKey !== undefined && algorithm !== undefined
        ? verifiesWith(kb, algorithm, issued.deviceKey)
        : notChecked
    const part = await issued.checked
    if (hit === undefined && part.reasons.length === 0 && (await issued.deviceKey) !== undefined)
      kept.set(sdHash, issued)

    const reasons: PresentationReason[] = [...part.reasons]
    const exp = typeof payload.exp === 'number' ? payload.exp : null
    const iat = typeof payload.iat === 'number' ? payload.iat : null
    if (exp === null || exp <= nowSeconds) reasons.push('credential-expired')
    if (iat === null || iat > nowSeconds + futureSkewSeconds) reasons.push('credential-not-yet-valid')

    // The Key Binding JWT: the device key of `cnf.jwk` signed this very presentation, just now.
    let keyBinding: KeyBindingSummary | null = null
    if (keyBindingText === '') reasons.push('key-binding-missing')
    else if (kb === undefined || kbClaims === undefined) reasons.push('key-binding-malformed')
    else {
      keyBinding = { ...kbClaims, ageSeconds: nowSeconds - kbClaims.iat }
      if (!(await kbSigned)) reasons.push('key-binding-signature-invalid')
      if (kb.payload.sd_hash !== sdHash) reasons.push('key-binding-sd-hash-mismatch')
      if (keyBinding.ageSeconds > maxAgeSeconds) reasons.push('presentation-stale')
      if (keyBinding.ageSeconds < -futureSkewSeconds) reasons.push('presentation-from-future')
      if (check.nonce !== undefined && keyBinding.nonce !== check.nonce) reasons.push('nonce-mismatch')
      if (check.audience !== undefined && !addressedTo(keyBinding.aud, check.audience))
        reasons.push('audience-mismatch')
    }

    const verification: PresentationVerification = {
      valid: reasons.length === 0,
      reasons,
      disclosed: part.disclosed,
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
