/**
 * The signature check of a compact JWS (RFC 7515 §5.2) whose header and payload the verifier has
 * already decoded (`@sd-jwt/decode`'s `decodeJwt`): three base64url segments, the one algorithm the
 * verifier expects in `alg`, no `crit` (we understand no extension, so §4.1.11 says refuse), and a
 * signature over the first two segments that verifies with the key. Only the cryptography is
 * pluggable (`SignatureBackend`): Web Crypto by default, on any runtime; the Node side passes
 * `nodeSignatureBackend` (`@elicence/projections/node/credentials`), whose node:crypto KeyObjects verify
 * synchronously, without a Web Crypto job and its promise per signature. Either way a key is
 * imported once (the verifier keeps it), not once per signature.
 *
 * @example
 * const key = await webCryptoSignatureBackend.importKey(issuerJwk, 'EdDSA')
 * await jwsSignatureValid(webCryptoSignatureBackend, jws, decodeJwt(jws).header, 'EdDSA', key) // true
 */
import { base64url, importJWK, type JWK } from 'jose'

/** The algorithms of DESIGN §6: the issuer's Ed25519 key, and P-256 or Ed25519 device keys. */
export type JwsAlgorithm = 'EdDSA' | 'ES256'

/**
 * Verifies signatures with imported public keys. `importKey` throws for a JWK that is no usable key
 * of the algorithm; the key it returns is opaque to the verifier and only ever handed back to
 * `verify`, which answers false (never throws) for a signature that does not verify.
 */
export interface SignatureBackend {
  readonly importKey: (jwk: JWK, algorithm: JwsAlgorithm) => unknown
  readonly verify: (
    algorithm: JwsAlgorithm,
    key: unknown,
    /** `<header>.<payload>` as sent: ASCII, checked by `jwsSignatureValid`. */
    signingInput: string,
    /** The third segment: base64url, checked by `jwsSignatureValid`. */
    signature: string,
  ) => boolean | Promise<boolean>
}

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

const encoder = new TextEncoder()

const webCryptoParams = (algorithm: JwsAlgorithm) =>
  algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }

/** Web Crypto, through `jose`'s JWK import: browsers and any runtime without node:crypto. */
export const webCryptoSignatureBackend: SignatureBackend = {
  importKey: async (jwk, algorithm) => {
    const key = await importJWK(jwk, algorithm)
    if (key instanceof Uint8Array) throw new Error('not an asymmetric key')
    return key
  },
  verify: async (algorithm, key, signingInput, signature) => {
    try {
      return await crypto.subtle.verify(
        webCryptoParams(algorithm),
        key as CryptoKey,
        new Uint8Array(base64url.decode(signature)),
        encoder.encode(signingInput),
      )
    } catch {
      return false
    }
  },
}

/** Whether `jws` is a compact JWS with this header, signed by `key` under `algorithm`. */
export const jwsSignatureValid = async (
  backend: SignatureBackend,
  jws: string,
  header: Readonly<Record<string, unknown>>,
  algorithm: JwsAlgorithm,
  key: unknown,
): Promise<boolean> => {
  if (header.alg !== algorithm || header.crit !== undefined || !compactJws.test(jws)) return false
  const end = jws.lastIndexOf('.')
  try {
    return await backend.verify(algorithm, key, jws.slice(0, end), jws.slice(end + 1))
  } catch {
    return false
  }
}

/** A key imported by the backend, or undefined when it does not import (it then never verifies). */
export const importedKey = (backend: SignatureBackend, jwk: JWK, algorithm: JwsAlgorithm): Promise<unknown> =>
  Promise.resolve()
    .then(() => backend.importKey(jwk, algorithm))
    .catch(() => undefined)
