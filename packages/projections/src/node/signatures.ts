/**
 * JWS signatures for the presentation verifier (`SignatureBackend`) on Node, in two kinds:
 * - `nodeSignatureBackend` verifies on the calling thread (the HTTP server's, or a credential
 *   worker's): Ed25519 with libsodium (sodium-native), about twice as fast as
 *   OpenSSL 3.0's (60 µs against 110 µs here), and ES256 with node:crypto's KeyObjects.
 * - `nodeThreadPoolSignatureBackend` verifies both with node:crypto on libuv's thread pool (`verify`
 *   with a callback), on other cores than the calling thread's. It saves that thread less than it
 *   seems: measured with ten verifications in flight, handing one to the pool (the job, its
 *   completion, the event loop's wake-up) cost the calling thread 50-75 µs for ES256 and 60-125 µs
 *   for Ed25519, about what verifying on that thread costs, and the process 1.5 to 2 times the CPU.
 *   The HTTP server verifies on its own thread (`nodeSignatureBackend`) for that reason.
 * The curve arithmetic of a presentation's two signatures (the issuer's EdDSA, the device's ES256)
 * is most of a verification's CPU. Web Crypto's `subtle.verify` uses the same pool and adds its
 * algorithm normalisation. A key must be of its algorithm's type (Ed25519 for EdDSA, P-256 for
 * ES256): a JWK of another curve does not import.
 *
 * @example
 * presentationVerifier({ jwks, sha256: nodeSha256, signatures: nodeSignatureBackend })
 */
import { createPublicKey, type JsonWebKeyInput, KeyObject, sign, verify } from 'node:crypto'
import sodium from 'sodium-native'
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

/** The data and signature bytes of a JWS signing input and signature, as node:crypto takes them. */
const verifyArguments = (signingInput: string, signature: string) =>
  [Buffer.from(signingInput, 'latin1'), Buffer.from(signature, 'base64url')] as const

const ed25519PublicKey = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/**
 * Whether an Ed25519 JWK's `x` is a key a signature can be bound to: a canonical encoding of a
 * point of the curve's prime-order subgroup, not one of small order. node:crypto and Web Crypto
 * import a small-order point (the identity, `AQAA…`) and then accept a forged signature (R the
 * identity, S 0) for any message; libsodium refuses it. A credential bound to one would let
 * anyone sign its presentations, for every verifier whose library does not refuse such keys.
 */
export const isUsableEd25519Key = (x: string): boolean =>
  ed25519PublicKey.test(x) && sodium.crypto_core_ed25519_is_valid_point(Buffer.from(x, 'base64url'))

export const nodeSignatureBackend: SignatureBackend = {
  // An Ed25519 key is its 32 bytes, as libsodium takes it (it refuses small-order and
  // non-canonical points when verifying); a P-256 key a KeyObject.
  importKey: (jwk, algorithm) => {
    if (algorithm === 'ES256') return importKey(jwk, algorithm)
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || !isUsableEd25519Key(jwk.x))
      throw new Error(`not a key for ${algorithm}`)
    return Buffer.from(jwk.x, 'base64url')
  },
  verify: (algorithm, key, signingInput, signature) => {
    try {
      const [data, bytes] = verifyArguments(signingInput, signature)
      return algorithm === 'ES256'
        ? verify('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, bytes)
        : bytes.length === 64 && sodium.crypto_sign_verify_detached(bytes, data, key as Buffer)
    } catch {
      return false
    }
  },
}

export const nodeThreadPoolSignatureBackend: SignatureBackend = {
  importKey,
  verify: (algorithm, key, signingInput, signature) =>
    new Promise((resolve) => {
      // A signature that does not verify, or a key or input node:crypto refuses, is false.
      const done = (error: Error | null, valid: boolean) => resolve(error === null && valid)
      try {
        const [data, bytes] = verifyArguments(signingInput, signature)
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
