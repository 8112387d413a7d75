import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { partitionOfStream, partitionProblem, streamPartitionKey } from './partitions.js'

/** FNV-1a 32 as specified: over bytes, here the bytes TextEncoder makes. */
const referenceFnv1a = (text: string): number => {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash
}

describe('stream partition keys', () => {
  it('are FNV-1a 32-bit: the published test vectors', () => {
    expect(streamPartitionKey('')).toBe(0x811c9dc5)
    expect(streamPartitionKey('a')).toBe(0xe40c292c)
    expect(streamPartitionKey('foobar')).toBe(0xbf9cf968)
  })

  it('hash the UTF-8 bytes of any id, lone surrogates as U+FFFD, like TextEncoder', () => {
    for (const id of [
      'licence-11010519491231002X',
      'stream-é',
      'stream-粤A',
      'stream-🚗',
      'x\ud800y',
      '\udc00',
    ])
      expect(streamPartitionKey(id)).toBe(referenceFnv1a(id))
    // Whole code points, and UTF-16 code units at random (which makes lone surrogates).
    const ids = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.array(fc.integer({ min: 0, max: 0xffff })).map((units) => String.fromCharCode(...units)),
    )
    fc.assert(
      fc.property(ids, (id) => streamPartitionKey(id) === referenceFnv1a(id)),
      { numRuns: 2000 },
    )
  })

  it('spread licence streams evenly over partitions', () => {
    const count = 4
    const sizes = Array.from({ length: count }, () => 0)
    for (let serial = 0; serial < 10_000; serial++) {
      const id = `licence-110105${String(19_490_000 + serial)}${serial % 10}`
      const partition = partitionOfStream(id, count)
      sizes[partition] = (sizes[partition] ?? 0) + 1
    }
    for (const size of sizes) expect(Math.abs(size - 2500)).toBeLessThan(250)
  })

  it('name a partition only with a whole count ≥ 1 and a whole index below it', () => {
    expect(partitionProblem({ index: 0, count: 1 })).toBeUndefined()
    expect(partitionProblem({ index: 3, count: 4 })).toBeUndefined()
    for (const partition of [
      { index: 0, count: 0 },
      { index: 4, count: 4 },
      { index: -1, count: 4 },
      { index: 1.5, count: 4 },
      { index: 0, count: Number.POSITIVE_INFINITY },
    ])
      expect(partitionProblem(partition)).toEqual(expect.any(String))
  })
})
