/**
 * The one SHA-256 of the domain: synchronous and the same on every platform (`@noble/hashes`), so
 * hashing never makes the command handler or a store wait on a thread pool, as Web Crypto's
 * asynchronous digest did (~60 µs a call). On Node, `nodeSha256Hex` from
 * `@elicence/projections/node` is about five times faster still; every function that hashes takes
 * a `Digest` so a Node embedder can pass it.
 *
 * @example
 * sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'

/** SHA-256 of a string's UTF-8 bytes, as lowercase hex. */
export type Digest = (text: string) => string

export const sha256Hex: Digest = (text) => bytesToHex(sha256(utf8ToBytes(text)))
