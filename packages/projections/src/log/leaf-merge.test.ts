import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { globalOrderLeaves, type PartitionLeaves } from './leaf-merge.js'
import { hashBytesOfHex, hashSize } from './merkle.js'

/** A leaf hash that names its position, so the merged order can be read back. */
const leafOf = (position: number): Uint8Array => {
  const bytes = new Uint8Array(hashSize)
  new DataView(bytes.buffer).setFloat64(0, position)
  return bytes
}
const positionOf = (leaf: Uint8Array): number => new DataView(leaf.buffer, leaf.byteOffset).getFloat64(0)

const batch = (positions: ReadonlyArray<number>): PartitionLeaves => {
  const hashes = new Uint8Array(positions.length * hashSize)
  positions.forEach((position, index) => {
    hashes.set(leafOf(position), index * hashSize)
  })
  return { positions: Float64Array.from(positions), hashes }
}

/** Distinct positions dealt to `count` partitions, each partition's in increasing order, cut into pages. */
const partitioned = fc
  .record({
    count: fc.integer({ min: 1, max: 4 }),
    positions: fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 120 }),
    deal: fc.array(fc.nat(), { minLength: 120, maxLength: 120 }),
    cuts: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 120, maxLength: 120 }),
  })
  .map(({ count, positions, deal, cuts }) => {
    const sorted = [...positions].sort((a, b) => a - b)
    const ofPartition = Array.from({ length: count }, (_, index) =>
      sorted.filter((_, at) => (deal[at] ?? 0) % count === index),
    )
    const pages = ofPartition.map((own, index) => {
      const cut: number[][] = []
      for (let at = 0, page = 0; at < own.length; page++) {
        const size = cuts[(index * 31 + page) % cuts.length] ?? 1
        cut.push(own.slice(at, at + size))
        at += size
      }
      return cut
    })
    return { count, sorted, pages }
  })

describe('the leaves of partitions merged into global order', () => {
  it('hands on every leaf once, in position order, however the pages of the partitions arrive', () => {
    fc.assert(
      fc.property(partitioned, fc.array(fc.nat(), { maxLength: 400 }), ({ count, sorted, pages }, turns) => {
        const out: number[] = []
        const merge = globalOrderLeaves(count, (leaf, position) => {
          expect(positionOf(leaf)).toBe(position)
          out.push(position)
        })
        // Pages of each partition in their order, the partitions interleaved as `turns` says, and
        // each partition finished after its last page.
        const next = pages.map(() => 0)
        const open = () =>
          pages.flatMap((_, index) => ((next[index] ?? 0) <= (pages[index]?.length ?? 0) ? [index] : []))
        for (let turn = 0; open().length > 0; turn++) {
          const candidates = open()
          const index = candidates[(turns[turn] ?? turn) % candidates.length] as number
          const page = pages[index]?.[next[index] ?? 0]
          if (page === undefined) merge.finish(index)
          else merge.add(index, batch(page))
          next[index] = (next[index] ?? 0) + 1
          // Nothing is handed on before it is known to be next: what is out is a prefix of the order.
          expect(out).toEqual(sorted.slice(0, out.length))
        }
        expect(out).toEqual(sorted)
        expect(merge.merged()).toBe(sorted.length)
        expect(merge.waiting()).toBe(0)
      }),
      { numRuns: 300 },
    )
  })

  it('waits for a partition that is behind, and goes on once it has finished', () => {
    const out: number[] = []
    const merge = globalOrderLeaves(2, (_, position) => out.push(position))
    merge.add(1, batch([2, 5, 9]))
    expect(out).toEqual([])
    expect(merge.waiting()).toBe(3)
    merge.add(0, batch([1, 3]))
    expect(out).toEqual([1, 2, 3])
    merge.finish(0)
    expect(out).toEqual([1, 2, 3, 5, 9])
    merge.add(1, batch([]))
    merge.finish(1)
    expect(merge.merged()).toBe(5)
  })

  it('refuses pages that do not fit: a partition out of range, a page after the end, hashes of the wrong length', () => {
    const merge = globalOrderLeaves(2, () => undefined)
    expect(() => merge.add(2, batch([1]))).toThrow(RangeError)
    expect(() =>
      merge.add(0, { positions: Float64Array.of(1, 2), hashes: new Uint8Array(hashSize) }),
    ).toThrow(/2 positions need 64 bytes/)
    merge.finish(0)
    expect(() => merge.add(0, batch([4]))).toThrow(/has finished/)
  })
})

describe('hashBytesOfHex', () => {
  it('reads 64 lowercase hex digits as Node does, and nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const hex = Buffer.from(bytes).toString('hex')
        expect(hashBytesOfHex(hex)).toEqual(new Uint8Array(bytes))
        if (/[a-f]/.test(hex)) expect(hashBytesOfHex(hex.toUpperCase())).toBeUndefined()
        expect(hashBytesOfHex(hex.slice(1))).toBeUndefined()
        expect(hashBytesOfHex(`${hex}0`)).toBeUndefined()
      }),
    )
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 64, maxLength: 64 }), (text) => {
        expect(hashBytesOfHex(text) !== undefined).toBe(/^[0-9a-f]{64}$/.test(text))
      }),
    )
    for (const value of [
      undefined,
      null,
      42,
      ['0'.repeat(64)],
      `${'0'.repeat(63)}g`,
      `${'0'.repeat(63)}\u0660`,
    ])
      expect(hashBytesOfHex(value)).toBeUndefined()
  })
})
