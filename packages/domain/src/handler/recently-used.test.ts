import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { recentlyUsed } from './recently-used.js'

type Step = { readonly op: 'get' | 'peek' | 'set' | 'delete'; readonly key: number }

describe('recentlyUsed', () => {
  it('lets the least recently used entry leave first, and peek leaves the order as it is', () => {
    const kept = recentlyUsed<string, number>(2)
    kept.set('a', 1)
    kept.set('b', 2)
    expect(kept.get('a')).toBe(1)
    kept.set('c', 3)
    expect([kept.peek('a'), kept.peek('b'), kept.peek('c')]).toEqual([1, undefined, 3])
    expect(kept.peek('a')).toBe(1)
    kept.set('d', 4)
    expect([kept.peek('a'), kept.peek('c'), kept.peek('d')]).toEqual([undefined, 3, 4])
  })

  it('keeps nothing below capacity 1', () => {
    const kept = recentlyUsed<string, number>(0)
    kept.set('a', 1)
    expect([kept.get('a'), kept.size()]).toEqual([undefined, 0])
  })

  it('holds to a list model for any steps', () => {
    const step = fc.record({
      op: fc.constantFrom('get', 'peek', 'set', 'delete'),
      key: fc.nat(5),
    }) as fc.Arbitrary<Step>
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.array(step, { maxLength: 40 }), (capacity, steps) => {
        const kept = recentlyUsed<number, number>(capacity)
        let model: number[] = [] // keys, least recently used first; the value of a key is the key
        for (const { op, key } of steps) {
          const had = model.includes(key)
          if (op === 'get') {
            expect(kept.get(key)).toBe(had ? key : undefined)
            if (had) model = [...model.filter((k) => k !== key), key]
          } else if (op === 'peek') expect(kept.peek(key)).toBe(had ? key : undefined)
          else if (op === 'delete') {
            kept.delete(key)
            model = model.filter((k) => k !== key)
          } else {
            kept.set(key, key)
            if (capacity >= 1) model = [...model.filter((k) => k !== key), key].slice(-capacity)
          }
          expect(kept.size()).toBe(model.length)
        }
      }),
    )
  })
})
