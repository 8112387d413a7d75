/**
 * Partitions of the global order by stream (DESIGN §8: streams are independent, so projections
 * partition by stream). A stream's partition key is the FNV-1a 32-bit hash of its id's UTF-8 bytes,
 * and of `count` partitions a stream belongs to partition `key % count`. The key is a contract, not
 * a detail: stores persist it (the SQLite store has it in a column) and readers in other threads,
 * processes or languages must agree with them, so it never changes. FNV-1a because it is tiny,
 * specified byte for byte, the same everywhere, and spreads ids that differ only in their last
 * characters (licence numbers) evenly.
 *
 * @example
 * streamPartitionKey('licence-11010519491231002X') // an unsigned 32-bit integer
 * partitionOfStream('licence-11010519491231002X', 4) // 0, 1, 2 or 3
 * partitionProblem({ index: 4, count: 4 }) // 'partition index 4 is not below the count 4'
 */
import type { Partition } from './port.js'

const fnvOffsetBasis = 0x811c9dc5
const fnvPrime = 0x01000193

/**
 * FNV-1a, 32 bits, over the UTF-8 bytes of `streamId` as `TextEncoder` writes them (a lone
 * surrogate becomes U+FFFD, as it does when SQLite stores the id), without building the bytes.
 */
export const streamPartitionKey = (streamId: string): number => {
  let hash = fnvOffsetBasis
  for (let at = 0; at < streamId.length; at++) {
    let code = streamId.charCodeAt(at)
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, fnvPrime)
      continue
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = streamId.charCodeAt(at + 1)
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
        at++
      } else code = 0xfffd
    }
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), fnvPrime)
    } else if (code < 0x10000) {
      hash = Math.imul(hash ^ (0xe0 | (code >> 12)), fnvPrime)
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), fnvPrime)
    } else {
      hash = Math.imul(hash ^ (0xf0 | (code >> 18)), fnvPrime)
      hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), fnvPrime)
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), fnvPrime)
    }
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), fnvPrime)
  }
  return hash >>> 0
}

/** The partition of `count` that holds `streamId`. */
export const partitionOfStream = (streamId: string, count: number): number =>
  streamPartitionKey(streamId) % count

/** Why `partition` names no partition, or undefined: a whole count of at least 1, an index below it. */
export const partitionProblem = (partition: Partition): string | undefined => {
  const { index, count } = partition
  if (!Number.isSafeInteger(count) || count < 1) return `partition count ${count} is not a whole number ≥ 1`
  if (!Number.isSafeInteger(index) || index < 0) return `partition index ${index} is not a whole number ≥ 0`
  if (index >= count) return `partition index ${index} is not below the count ${count}`
  return undefined
}
