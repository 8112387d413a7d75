/**
 * JWS signatures through node:crypto. Checks (`SignatureBackend` of the presentation verifier): keys
 * become KeyObjects once per verification, and each signature verifies on libuv's thread pool
 * (node:crypto's `verify` with a callback), not on the calling thread: the curve arithmetic of the
 * two signatures of a presentation (the issuer's EdDSA, the device's ES256) is most of a
 * verification's CPU, and on the pool it runs beside the thread that serves HTTP, on another core.
 * Web Crypto's `subtle.verify` uses the same pool but adds its algorithm normalisation and a job
 * object per call. A key must be of its algorithm's type (Ed25519 for EdDSA, P-256 for ES256): a
 * JWK of another curve does not import.
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
  verify: (algorithm, key, signingInput, signature) =>
    new Promise((resolve) => {
      // A signature that does not verify, or a key or input node:crypto refuses, is false.
      const done = (error: Error | null, valid: boolean) => resolve(error === null && valid)
      try {
        const data = Buffer.from(signingInput, 'latin1')
        const bytes = Buffer.from(signature, 'base64url')
        if (algorithm === 'ES256')
          verify('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, bytes, done)
        else verify(null, data, key as KeyObject, bytes, done)
      } catch {
        resolve(false)
      }
    }),
}

/**
 * Ed25519 signing of JWS signing inputs (`credentialIssuer`'s `sign`) with the issuer's
 * (non-extractable) key as a KeyObject: synchronous, without a Web Crypto job per credential.
 */
export const nodeEd25519Signer = (key: CryptoKey): ((signingInput: string) => string) => {
  const keyObject = KeyObject.from(key)
  return (signingInput) => sign(null, Buffer.from(signingInput), keyObject).toString('base64url')
}
