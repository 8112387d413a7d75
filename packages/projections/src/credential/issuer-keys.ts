/**
 * The issuer's keys (DESIGN §6): an Ed25519 key signs credentials and status lists, and every JWS
 * names it by `kid`, its RFC 7638 JWK thumbprint, so the id is the same wherever the key is loaded.
 * Earlier keys stay published in the JWKS (public members only) while credentials they signed may
 * still be alive. Keys come as JWKs (`elicence keys` writes them); failures are values that name
 * what is wrong, never the key.
 *
 * @example
 * const privateJwk = await generateIssuerKey()                 // { kty: 'OKP', crv: 'Ed25519', d, x, kid, alg: 'EdDSA', use: 'sig' }
 * const keys = await importIssuerKeys(privateJwk, [retiredPublicJwk]) // Right({ kid, signingKey, jwks })
 */
import * as E from 'fp-ts/lib/Either.js'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

export const issuerAlgorithm = 'EdDSA'

export interface IssuerSigningKey {
  readonly kid: string
  readonly signingKey: CryptoKey
}

/** The JWK Set of draft-ietf-oauth-sd-jwt-vc issuer metadata. */
export interface IssuerJwks {
  readonly keys: ReadonlyArray<JWK>
}

export interface IssuerKeys extends IssuerSigningKey {
  /** The current key first, then the retired ones. */
  readonly jwks: IssuerJwks
}

const publicMembers = (jwk: JWK, kid: string): JWK => ({
  kty: 'OKP',
  crv: 'Ed25519',
  x: jwk.x ?? '',
  kid,
  alg: issuerAlgorithm,
  use: 'sig',
})

const isEd25519 = (jwk: unknown): jwk is JWK & { x: string } =>
  typeof jwk === 'object' &&
  jwk !== null &&
  (jwk as JWK).kty === 'OKP' &&
  (jwk as JWK).crv === 'Ed25519' &&
  typeof (jwk as JWK).x === 'string'

/** The RFC 7638 thumbprint (SHA-256, base64url) of a key's public members. */
export const issuerKeyId = (jwk: JWK): Promise<string> =>
  calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' }, 'sha256')

/** A fresh issuer key as a private JWK carrying its `kid`. A secret: store it readable by its owner only. */
export const generateIssuerKey = async (): Promise<JWK> => {
  const { privateKey } = await generateKeyPair(issuerAlgorithm, { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: await issuerKeyId(jwk), alg: issuerAlgorithm, use: 'sig' }
}

/** The public JWK of an issuer key (private or public), with its `kid`. */
export const issuerPublicJwk = async (jwk: unknown): Promise<E.Either<string, JWK>> => {
  if (!isEd25519(jwk))
    return E.left('the issuer key is not an Ed25519 JWK ({ "kty": "OKP", "crv": "Ed25519", "x": … })')
  const kid = await issuerKeyId(jwk)
  if (jwk.kid !== undefined && jwk.kid !== kid)
    return E.left(`the issuer key's kid ${jwk.kid} is not its RFC 7638 thumbprint ${kid}`)
  return E.right(publicMembers(jwk, kid))
}

/**
 * The signing key from a private JWK, and the JWKS that publishes it together with the retired
 * keys (public or private JWKs; only their public members are published).
 */
export const importIssuerKeys = async (
  current: unknown,
  retired: ReadonlyArray<unknown> = [],
): Promise<E.Either<string, IssuerKeys>> => {
  const published = await issuerPublicJwk(current)
  if (E.isLeft(published)) return published
  const jwk = current as JWK
  if (typeof jwk.d !== 'string') return E.left('the issuer key has no private part ("d")')
  let signingKey: CryptoKey
  try {
    const imported = await importJWK(
      { kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '', d: jwk.d },
      issuerAlgorithm,
      {
        extractable: false,
      },
    )
    if (imported instanceof Uint8Array) return E.left('the issuer key is not an asymmetric key')
    signingKey = imported
  } catch (error) {
    return E.left(`the issuer key does not import: ${error instanceof Error ? error.message : String(error)}`)
  }
  const keys: JWK[] = [published.right]
  for (const [index, old] of retired.entries()) {
    const retiredJwk = await issuerPublicJwk(old)
    if (E.isLeft(retiredJwk)) return E.left(`retired key ${index + 1}: ${retiredJwk.left}`)
    if (!keys.some((key) => key.kid === retiredJwk.right.kid)) keys.push(retiredJwk.right)
  }
  return E.right({ kid: published.right.kid ?? '', signingKey, jwks: { keys } })
}
