// The domain's SHA-256 is node:crypto's where the runtime offers it, else @noble/hashes: the same
// hex for every text, lone surrogates included (both hash a text's UTF-8, a lone surrogate as U+FFFD).
import { createHash } from 'node:crypto'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { portableSha256Hex, sha256Hex } from './sha256.js'

describe('sha256Hex', () => {
  it('gives FIPS 180-2’s digest of "abc", and node:crypto’s, on Node', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256Hex).not.toBe(portableSha256Hex)
  })

  it('is the portable one’s, for any text', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
    )
    fc.assert(
      fc.property(text, (value) => {
        expect(sha256Hex(value)).toBe(portableSha256Hex(value))
        expect(sha256Hex(value)).toBe(createHash('sha256').update(value).digest('hex'))
      }),
      { numRuns: 2000 },
    )
  })
})
