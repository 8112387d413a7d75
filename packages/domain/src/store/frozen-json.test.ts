// The in-memory store's copies: what JSON keeps of a value, frozen at every level, and nothing shared
// with the original; what JSON has no form for is refused.
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { frozenJsonCopy } from './frozen-json.js'

const everyNode = (value: unknown): ReadonlyArray<object> =>
  typeof value === 'object' && value !== null ? [value, ...Object.values(value).flatMap(everyNode)] : []

describe('frozenJsonCopy', () => {
  it('is the value JSON keeps, frozen all the way down, sharing no object with the original', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = frozenJsonCopy(value)
        expect(copy).toStrictEqual(JSON.parse(JSON.stringify(value)))
        const originals = new Set(everyNode(value))
        for (const node of everyNode(copy)) {
          expect(Object.isFrozen(node)).toBe(true)
          expect(originals.has(node)).toBe(false)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('drops undefined members, writes undefined items as null and -0 as 0, as JSON does', () => {
    const value = { kept: -0, gone: undefined, list: ['a', undefined, { deep: undefined }] }
    expect(frozenJsonCopy(value)).toStrictEqual({ kept: 0, list: ['a', null, {}] })
  })

  it('keeps a member named __proto__ as a member, and an object as its own members', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"n":1}') as Record<string, unknown>
    const copy = frozenJsonCopy(parsed)
    expect(Object.keys(copy)).toEqual(['__proto__', 'n'])
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"n":1}')
    expect(frozenJsonCopy({ at: new Date(0) })).toStrictEqual({ at: {} })
  })

  it('refuses what JSON has no form for: a function, a symbol, a BigInt, anywhere', () => {
    for (const bad of [() => 1, Symbol('s'), 10n]) {
      expect(() => frozenJsonCopy({ data: [bad] })).toThrow(TypeError)
      expect(() => frozenJsonCopy(bad)).toThrow(TypeError)
    }
  })

  it('copies a change made to the original afterwards into nothing', () => {
    const original = { list: ['a'], nested: { n: 1 } }
    const copy = frozenJsonCopy(original)
    original.list.push('b')
    original.nested.n = 2
    expect(copy).toStrictEqual({ list: ['a'], nested: { n: 1 } })
    expect(() => {
      ;(copy.list as string[]).push('c')
    }).toThrow(TypeError)
  })
})
