// The depth bound agrees with a plain recursive count on random shallow JSON, and on nests far
// deeper than the stack would allow a recursive walk to go.
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCommand } from './commands.js'
import { jsonDepthProblem, maxJsonDepth } from './input-depth.js'

const depthOf = (value: unknown): number =>
  typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0

const nested = (depth: number): unknown => {
  let value: unknown = 0
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value }
  return value
}

describe('jsonDepthProblem', () => {
  it('refuses exactly the values deeper than the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        expect(jsonDepthProblem(value, limit) === undefined).toBe(depthOf(value) <= limit)
      }),
    )
  })

  it('walks a million levels without overflowing, and names the limit and the place', () => {
    const problem = jsonDepthProblem({ data: nested(1_000_000) })
    expect(problem).toBe(
      `nested deeper than ${maxJsonDepth} levels of objects and arrays (the limit), at data.a.0.a.0.a…`,
    )
  })

  it('refuses a value that holds itself, as nested too deep, without walking it for ever', () => {
    const cycle: { self?: unknown; list: unknown[] } = { list: [] }
    cycle.self = cycle
    cycle.list.push(cycle)
    expect(jsonDepthProblem({ data: cycle })).toMatch(
      /^nested deeper than 64 levels .*, at data\.(self|list)\..*…$/,
    )
  })

  it('parseCommand refuses a deep value first, as invalid-command at the root', () => {
    fc.assert(
      fc.property(fc.integer({ min: maxJsonDepth, max: 50_000 }), (depth) => {
        const parsed = parseCommand({ type: 'RecordLicence', data: nested(depth), metadata: {} })
        expect(parsed).toMatchObject({
          _tag: 'Left',
          left: { code: 'invalid-command', issues: [{ path: '(root)' }] },
        })
      }),
      { numRuns: 20 },
    )
  })
})
