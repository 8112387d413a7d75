import canonicalize from 'canonicalize'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json.js'

describe('canonicalJson (RFC 8785)', () => {
  it('agrees with the canonicalize package on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value))
      }),
      { numRuns: 500 },
    )
  })
  it('writes every string as JSON.stringify does, escaped or not, alone, as a member and as an item', () => {
    // Code units of any kind: quotes, backslashes, control characters, lone and paired surrogates.
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom(
          '"',
          '\\',
          '\u0000',
          '\u001f',
          '\u007f',
          '\u2028',
          '\ud800',
          '\udfff',
          'a',
          '张',
        ),
      }),
    )
    fc.assert(
      fc.property(text, (value) => {
        expect(canonicalJson(value)).toBe(JSON.stringify(value))
        expect(canonicalJson({ k: value })).toBe(JSON.stringify({ k: value }))
        expect(canonicalJson([value])).toBe(JSON.stringify([value]))
      }),
      { numRuns: 500 },
    )
    const edges = [
      '',
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u2028',
      '\ud800',
      'a\udc00',
      '😀',
      '张三',
    ]
    for (const edge of edges) expect(canonicalJson(edge)).toBe(JSON.stringify(edge))
    expect(canonicalJson('\ud800')).toBe('"\\ud800"')
    expect(canonicalJson('😀')).toBe('"😀"')
  })

  it('matches the RFC 8785 examples', () => {
    // RFC 8785 §3.2.2 and appendix B: number forms, escapes and member order by UTF-16 code units.
    // The RFC's input 333333333.33333329 parses to the same double as 333333333.3333333.
    expect(
      canonicalJson({
        numbers: [333333333.3333333, 1e30, 4.5, 0.002, 1e-27],
        string: '€$\u000f\nA\'B"\\\\"/',
        literals: [null, true, false],
      }),
    ).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
    expect(
      canonicalJson({
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      }),
    ).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
  })
  it('refuses numbers JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError)
  })
  it('refuses values JSON has no form for, rather than hashing the text "undefined"', () => {
    for (const bad of [() => 1, Symbol('s'), 10n, undefined]) {
      expect(() => canonicalJson(bad)).toThrow(TypeError)
      expect(() => canonicalJson([bad === undefined ? () => 1 : bad])).toThrow(TypeError)
    }
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError)
    // An undefined member is no member, as in JSON; an undefined item is null.
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}')
  })
  it('agrees with the canonicalize package on objects of many members (past the insertion sort)', () => {
    // Index-like names ("10" before "9" by code units) as well: V8 lists those first, in numeric order.
    const name = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.nat(200).map(String))
    const wide = fc.dictionary(name, fc.jsonValue({ maxDepth: 1 }), {
      minKeys: 10,
      maxKeys: 40,
    })
    fc.assert(
      fc.property(wide, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value))
      }),
      { numRuns: 200 },
    )
  })
  it('still agrees once more member names were seen than it quotes once (names from anyone)', () => {
    const names = Array.from({ length: 5000 }, (_, index) => `name-${index}-${'x'.repeat(index % 80)}`)
    for (const name of names)
      expect(canonicalJson({ [name]: 1, a: 2 })).toBe(canonicalize({ [name]: 1, a: 2 }))
    const value = { é: 1, '\u2028': 2, z: [1, { y: 'q"' }], [names[4999] as string]: 3 }
    expect(canonicalJson(value)).toBe(canonicalize(value))
  })
})
