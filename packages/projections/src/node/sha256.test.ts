import { sha256Hex } from '@elicence/domain'
import * as fc from 'fast-check'
import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { sdJwtHasherSync } from '../credential/sd-jwt.js'
import { nodeSha256, nodeSha256Base64Url, nodeSha256Hex } from './sha256.js'

describe('SHA-256: the domain portable one and node:crypto', () => {
  it('give the FIPS 180-4 example digests', () => {
    const examples: ReadonlyArray<readonly [string, string]> = [
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [
        'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      ],
    ]
    for (const [text, digest] of examples) {
      expect(sha256Hex(text)).toBe(digest)
      expect(nodeSha256Hex(text)).toBe(digest)
    }
  })
  it('agree on any text, lone surrogates included (both hash U+FFFD for them)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(sha256Hex(text)).toBe(nodeSha256Hex(text))
      }),
      { numRuns: 300 },
    )
  })
})

describe('nodeSha256Base64Url, the SD-JWT digests in one call', () => {
  it('gives the digest the verifier makes from `sha256` otherwise, on any text, lone surrogates included', () => {
    const hasher = sdJwtHasherSync(nodeSha256)
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (text) => {
        expect(nodeSha256Base64Url(text)).toBe(base64url.encode(hasher(text, 'sha-256')))
      }),
      { numRuns: 300 },
    )
  })
})
