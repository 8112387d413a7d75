/**
 * What the SD-JWT machinery needs from the platform: SHA-256 for disclosure digests and `sd_hash`,
 * random salts, and an Ed25519 signer, all through Web Crypto (Node ≥ 20 and browsers), so this
 * package stays free of `node:*`. A caller with a faster synchronous SHA-256 (node's `createHash`)
 * passes it as `sha256`.
 *
 * @example
 * const hasher = sdJwtHasher(undefined)         // Web Crypto
 * await hasher('abc', 'sha-256')                // Uint8Array(32)
 */
import type { Hasher, HasherSync, Signer } from '@sd-jwt/types'
import { base64url } from 'jose'
import type { Sha256 } from '../log/merkle.js'
import { randomBytes } from './random-bytes.js'

/** The log's synchronous SHA-256 of bytes (e.g. node's `createHash('sha256')`); text is hashed as UTF-8. */
export type { Sha256 }

const encoder = new TextEncoder()

const webCryptoSha256 = async (data: string | ArrayBuffer): Promise<Uint8Array> =>
  new Uint8Array(
    await crypto.subtle.digest(
      'SHA-256',
      typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data),
    ),
  )

const checkedAlgorithm = (alg: string): void => {
  if (alg.toLowerCase() !== 'sha-256') throw new Error(`unsupported _sd_alg ${alg}`)
}

/** The library's synchronous hasher (its `…Sync` functions), over a synchronous SHA-256. */
export const sdJwtHasherSync =
  (sha256: Sha256): HasherSync & Hasher =>
  (data: string | ArrayBuffer, alg: string): Uint8Array => {
    checkedAlgorithm(alg)
    return sha256(typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data))
  }

/** The library's hasher; only `sha-256` is ever asked for or accepted (`_sd_alg`). */
export const sdJwtHasher = (sha256: Sha256 | undefined): Hasher => {
  if (sha256 !== undefined) return sdJwtHasherSync(sha256)
  return (data, alg) => {
    checkedAlgorithm(alg)
    return webCryptoSha256(data)
  }
}

/** The SD-JWT digests (base64url SHA-256, disclosures and `sd_hash`) from a hasher that may be asynchronous (Web Crypto's). */
export const base64UrlDigests =
  (hasher: Hasher) =>
  (text: string): string | Promise<string> => {
    const digest = hasher(text, 'sha-256')
    return digest instanceof Uint8Array
      ? base64url.encode(digest)
      : digest.then((bytes) => base64url.encode(bytes))
  }

const saltBytes = 16

/** 128-bit salts, as RFC 9901 §9.3 recommends. */
export const saltGenerator = (): string => base64url.encode(randomBytes(saltBytes))

/** Signs a JWS signing input with an Ed25519 key: the `EdDSA` signature, base64url. */
export const ed25519Signer =
  (key: CryptoKey): Signer =>
  async (data) =>
    base64url.encode(new Uint8Array(await crypto.subtle.sign('Ed25519', key, encoder.encode(data))))
