/**
 * JWS signatures through node:crypto. Checks (`SignatureBackend` of the presentation verifier): keys
 * become KeyObjects once, and each signature verifies synchronously on the calling thread. Web
 * Crypto's `subtle.verify` costs the same curve arithmetic plus a job, its promise and the
 * algorithm normalisation per call; with two signatures per presentation (the issuer's EdDSA, the
 * device's ES256) that overhead was a tenth of a verification. A key must be of its algorithm's
 * type (Ed25519 for EdDSA, P-256 for ES256): a JWK of another curve does not import.
 *
 * @example
 * presentationVerifier({ jwks, sha256: nodeSha256, signatures: nodeSignatureBackend })
 */
import { createPublicKey, type JsonWebKeyInput, KeyObject, sign, verify } from 'node:crypto'
import type { SignatureBackend } from '../credential/jws.js'

const importKey: SignatureBackend['importKey'] = (jwk, algorithm) => {
  const key = createPublicKey({ key: jwk, format: 'jwk' } as JsonWebKeyInput)
  const fits =
    algorithm === 'EdDSA'
      ? key.asymmetricKeyType === 'ed25519'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  if (!fits) throw new Error(`not a key for ${algorithm}`)
  return key
}

export const nodeSignatureBackend: SignatureBackend = {
  importKey,
  verify: (algorithm, key, signingInput, signature) => {
    try {
      const data = Buffer.from(signingInput, 'latin1')
      const bytes = Buffer.from(signature, 'base64url')
      return algorithm === 'ES256'
        ? verify('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, bytes)
        : verify(null, data, key as KeyObject, bytes)
    } catch {
      return false
    }
  },
}

/**
 * Ed25519 signing of JWS signing inputs (`credentialIssuer`'s `sign`) with the issuer's
 * (non-extractable) key as a KeyObject: synchronous, without a Web Crypto job per credential.
 */
export const nodeEd25519Signer = (key: CryptoKey): ((signingInput: string) => string) => {
  const keyObject = KeyObject.from(key)
  return (signingInput) => sign(null, Buffer.from(signingInput), keyObject).toString('base64url')
}
