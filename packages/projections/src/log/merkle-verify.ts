/**
 * Verification of RFC 9162 proofs, step by step as §2.1.3.2 (inclusion) and §2.1.4.2
 * (consistency) write it, so a reader can hold the code against the RFC line by line.
 *
 * @example
 * verifyInclusion(sha256, 2, 8, leafHash(sha256, data), path, root)        // true or false
 * verifyConsistency(sha256, 6, 8, proof, rootOf6, rootOf8)
 */
import { equalBytes, hashSize, nodeHash, type Sha256 } from './merkle.js'

/** The RFC's "if LSB(fn) is not set, right-shift both fn and sn equally until LSB(fn) is set or fn is 0". */
const shiftToOddOrZero = (fn: number, sn: number): [number, number] => {
  let [f, s] = [fn, sn]
  while (f % 2 === 0 && f !== 0) {
    f = Math.floor(f / 2)
    s = Math.floor(s / 2)
  }
  return [f, s]
}

/** RFC 9162 §2.1.3.2: does `path` prove leaf `index` (hash `leaf`) in the tree of `size` with `root`? */
export const verifyInclusion = (
  sha256: Sha256,
  index: number,
  size: number,
  leaf: Uint8Array,
  path: ReadonlyArray<Uint8Array>,
  root: Uint8Array,
): boolean => {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size)) || index < 0 || index >= size) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of path) {
    if (p.length !== hashSize || sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sha256, p, r)
      ;[fn, sn] = shiftToOddOrZero(fn, sn)
    } else {
      r = nodeHash(sha256, r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equalBytes(r, root)
}

/**
 * RFC 9162 §2.1.4.2: does `path` prove the tree of `from` leaves (`fromRoot`) a prefix of the tree
 * of `to` leaves (`toRoot`)? An empty tree is a prefix of every tree, and a tree of itself, with an
 * empty proof.
 */
export const verifyConsistency = (
  sha256: Sha256,
  from: number,
  to: number,
  path: ReadonlyArray<Uint8Array>,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
): boolean => {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to)) || from < 0 || to < from) return false
  if (from === to) return path.length === 0 && equalBytes(fromRoot, toRoot)
  if (from === 0) return path.length === 0
  if (path.length === 0 || path.some((hash) => hash.length !== hashSize)) return false
  const isPowerOfTwo = Number.isInteger(Math.log2(from))
  const hashes = isPowerOfTwo ? [fromRoot, ...path] : [...path]
  let fn = from - 1
  let sn = to - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr = hashes[0] as Uint8Array
  let sr = fr
  for (const c of hashes.slice(1)) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(sha256, c, fr)
      sr = nodeHash(sha256, c, sr)
      ;[fn, sn] = shiftToOddOrZero(fn, sn)
    } else {
      sr = nodeHash(sha256, sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equalBytes(fr, fromRoot) && equalBytes(sr, toRoot)
}
