import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { packedMap } from './packed-map.js'

describe('packedMap', () => {
  it('gives what Array.prototype.map gives, item and index alike', () => {
    fc.assert(
      fc.property(fc.array(fc.anything()), (items) => {
        const f = (item: unknown, index: number) => [index, item] as const
        expect(packedMap(items, f)).toEqual(items.map(f))
      }),
    )
  })

  it('returns a new array and leaves its input as it was', () => {
    const items = Object.freeze([1, 2, 3])
    const doubled = packedMap(items, (n) => n * 2)
    expect(doubled).toEqual([2, 4, 6])
    expect(doubled).not.toBe(items)
    expect(items).toEqual([1, 2, 3])
  })
})
