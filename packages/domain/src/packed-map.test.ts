import { setFlagsFromString } from 'node:v8'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { packedMap } from './packed-map.js'

// V8's own checks, for this process only: natives syntax is allowed in code compiled after the flag
// is set, which is only these functions.
setFlagsFromString('--allow-natives-syntax')
const v8 = {
  sameMap: new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean,
  holey: new Function('a', 'return %HasHoleyElements(a)') as (a: unknown) => boolean,
  prepare: new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void,
  optimiseNext: new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: unknown) => void,
  status: new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number,
}
// %GetOptimizationStatus: the function's code came from TurboFan.
const turboFanned = 1 << 6

type Mapper = (items: ReadonlyArray<number>, f: (item: number) => unknown) => unknown[]
const wrap = (n: number) => ({ n })

/** The arrays `mapper` returns while interpreted and once TurboFan has compiled it, with their hidden classes. */
const inBothTiers = (mapper: Mapper) => {
  v8.prepare(mapper)
  const interpreted = mapper([1, 2], wrap)
  for (let round = 0; round < 10; round++) mapper(round % 2 === 0 ? [1] : [1, 2], wrap)
  v8.optimiseNext(mapper)
  const optimised = mapper([4, 5], wrap)
  return {
    optimised: (v8.status(mapper) & turboFanned) !== 0,
    sameHiddenClass: v8.sameMap(interpreted, optimised),
    holey: [v8.holey(interpreted), v8.holey(optimised)],
  }
}

describe('packedMap', () => {
  // First, while packedMap has seen only these calls: feedback from the property below (other
  // callbacks, other kinds of arrays) would keep TurboFan from inlining what it calls.
  it('returns a packed array of one hidden class, interpreted or optimised', () => {
    expect(inBothTiers(packedMap)).toEqual({
      optimised: true,
      sameHiddenClass: true,
      holey: [false, false],
    })
  })

  // Why it exists. Should a V8 keep map's result packed once optimised, this fails, and packedMap
  // can go back to being Array.prototype.map.
  it('is needed: Array.prototype.map returns a holey array once optimised', () => {
    expect(inBothTiers((items, f) => items.map(f))).toEqual({
      optimised: true,
      sameHiddenClass: false,
      holey: [false, true],
    })
  })

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
