// Duplicate member names are found wherever they are, as decoded names, and nothing else is taken
// for one: random JSON as `JSON.stringify` writes it never has one; the same with one member
// repeated, at any depth and however its name is escaped, always has exactly that one.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import secureJson from 'secure-json-parse'
import { describe, expect, it } from 'vitest'
import { duplicateMemberProblem, parseJsonText, prototypeMemberProblem } from './json-members.js'

/** A name written with every character as a \u escape: the same name to a parser. */
const escapedName = (name: string): string =>
  `"${[...name].map((c) => [...c].map((_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')).join('')}"`

/** `record`'s text with the member `name` written once more at its end. */
const withRepeat = (record: Record<string, unknown>, name: string, escaped: boolean, value: unknown) =>
  `${JSON.stringify(record).slice(0, -1)},${escaped ? escapedName(name) : JSON.stringify(name)}:${JSON.stringify(value)}}`

/** The text inside containers, outermost first: a member name or an array (the text first in it). */
const wrapped = (inner: string, around: ReadonlyArray<string | number>): string =>
  around.reduceRight<string>(
    (text, at) =>
      typeof at === 'string' ? `{${JSON.stringify(at)}:${text}}` : `[${'0,'.repeat(at)}${text}]`,
    inner,
  )

describe('duplicateMemberProblem', () => {
  it('finds nothing in JSON as JSON.stringify writes it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(duplicateMemberProblem(JSON.stringify(value))).toBeUndefined()
        expect(duplicateMemberProblem(JSON.stringify(value, null, 2))).toBeUndefined()
      }),
    )
  })

  it('finds a repeated name at any depth, escaped or not, and says where', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }),
        fc.nat(),
        fc.boolean(),
        fc.jsonValue({ maxDepth: 2 }),
        fc.array(fc.oneof(fc.stringMatching(/^[a-z]{1,5}$/), fc.nat({ max: 3 })), { maxLength: 4 }),
        (record, pick, escaped, value, around) => {
          const names = Object.keys(record)
          const name = names[pick % names.length] as string
          const text = wrapped(withRepeat(record, name, escaped, value), around)
          const problem = duplicateMemberProblem(text)
          expect(problem).toContain(`the member ${JSON.stringify(name)} appears twice`)
          expect(problem).toContain(
            around.length === 0 ? 'in the top-level object' : `in the object at ${around.join('.')}:`,
          )
        },
      ),
    )
  })

  it('finds a repeat among many names, and none in many distinct ones', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`n${index}`, index]))
    expect(duplicateMemberProblem(JSON.stringify({ a: many }))).toBeUndefined()
    for (const name of ['n0', 'n15', 'n16', 'n39'])
      expect(duplicateMemberProblem(`{"a":${withRepeat(many, name, false, 0)}}`)).toContain(
        `the member "${name}" appears twice in the object at a:`,
      )
  })

  it('reads names as decoded and strings as strings', () => {
    expect(duplicateMemberProblem('{"a":1,"\\u0061":2}')).toContain('"a" appears twice')
    expect(duplicateMemberProblem('{"a\\\\":1,"a\\\\":2}')).toContain('"a\\\\" appears twice')
    expect(duplicateMemberProblem('{"a\\"":1,"a":2}')).toBeUndefined()
    expect(duplicateMemberProblem('{"a":"{\\"b\\":1,\\"b\\":2}","b":{"a":1}}')).toBeUndefined()
    expect(duplicateMemberProblem('[{"a":1},{"a":1}]')).toBeUndefined()
    expect(duplicateMemberProblem('{"x":[0,{"y":{},"y":[]}]}')).toContain('in the object at x.1:')
  })
})

describe('parseJsonText', () => {
  it('parses JSON, and refuses bad syntax and repeated names alike, saying which', () => {
    expect(parseJsonText('{"a":[1,2]}')).toEqual(E.right({ a: [1, 2] }))
    expect(parseJsonText('{"a":')).toMatchObject(E.left(expect.stringMatching(/^not JSON: /)))
    expect(parseJsonText('{"status":"A","status":"F"}')).toEqual(
      E.left(
        'the member "status" appears twice in the top-level object: names must be unique (RFC 7493 §2.3)',
      ),
    )
  })
})

describe('prototypeMemberProblem', () => {
  it('refuses what secure-json-parse refuses (Fastify’s parser), at any depth and however escaped, and says where', () => {
    const cases: ReadonlyArray<[string, string]> = [
      ['{"__proto__":{"admin":true}}', 'the top-level object'],
      ['{"a":[1,{"b":{"\\u005f_proto__":1}}]}', 'the object at a.1.b'],
      ['{"data":{"constructor":{"prototype":{"x":1}}}}', 'the object at data'],
      ['[{"constructor":{"\\u0070rototype":null}}]', 'the object at 0'],
    ]
    for (const [text, where] of cases) {
      expect(() =>
        secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }),
      ).toThrow()
      expect(prototypeMemberProblem(JSON.parse(text), text)).toBe(
        `${where} has a "__proto__" member, or a "constructor" with a "prototype": neither is accepted, as either could change an object's prototype`,
      )
      expect(parseJsonText(text)).toEqual(E.left(expect.stringContaining('"__proto__" member')))
    }
  })

  it('accepts what secure-json-parse accepts, for any JSON', () => {
    const names = fc.constantFrom('constructor', 'prototype', 'proto', '__proto', 'a', 'toString')
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(names, tie('value'), { maxKeys: 3 }),
      ),
    })).value
    fc.assert(
      fc.property(json, (value) => {
        const text = JSON.stringify(value) ?? 'null'
        let refused = false
        try {
          secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
        } catch {
          refused = true
        }
        expect(prototypeMemberProblem(JSON.parse(text), text) !== undefined).toBe(refused)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('prototypeMemberProblem on nesting deeper than a call stack', () => {
  it('answers, naming the first segments of where', () => {
    const depth = 100_000
    const text = `${'{"a":'.repeat(depth)}{"\\u005f_proto__":1}${'}'.repeat(depth)}`
    expect(prototypeMemberProblem(JSON.parse(text), text)).toMatch(
      /^the object at a\.a\.a\.a\.a\.a… has a "__proto__" member/,
    )
  })
})
