/**
 * The one SHA-256 of the domain: synchronous on every platform, so hashing never makes the command
 * handler or a store wait on a thread pool, as Web Crypto's asynchronous digest did (~60 µs a
 * call). On a runtime that offers node:crypto's one-shot `hash` to any module
 * (`process.getBuiltinModule`: Node ≥ 20.16), that one, which hashes an event's text about ten times
 * faster (0.8 µs against 8 µs); elsewhere `@noble/hashes`, portable JavaScript. The same bytes in,
 * the same hex out (UTF-8, a lone surrogate as U+FFFD in both), held by a property test. Every
 * function that hashes takes a `Digest`, so an embedder may pass another.
 *
 * @example
 * sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'

/** SHA-256 of a string's UTF-8 bytes, as lowercase hex. */
export type Digest = (text: string) => string

type OneShotHash = (algorithm: 'sha256', data: string, outputEncoding: 'hex') => string

/** node:crypto's `hash`, where the runtime hands node:crypto to a module that does not import it. */
const nodeHash = ((): OneShotHash | undefined => {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const crypto = runtime?.getBuiltinModule?.('node:crypto') as { hash?: unknown } | undefined
  return typeof crypto?.hash === 'function' ? (crypto.hash as OneShotHash) : undefined
})()

/** `@noble/hashes`: what every runtime can run. */
export const portableSha256Hex: Digest = (text) => bytesToHex(sha256(utf8ToBytes(text)))

export const sha256Hex: Digest =
  nodeHash === undefined ? portableSha256Hex : (text) => nodeHash('sha256', text, 'hex')
