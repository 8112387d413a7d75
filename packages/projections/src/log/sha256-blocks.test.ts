// The portable SHA-256 of the tree's short inputs against the FIPS 180-2 examples and against
// node:crypto — an implementation we did not write — on random bytes of every length up to a few
// blocks, the padding boundaries (55, 56, 63, 64, 119, 120 bytes) most of all; and `nodeSha256`,
// which takes it for short inputs and node:crypto for the rest, likewise.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeSha256 } from '../node/sha256.js'
import { sha256OfBytes, smallInputBytes } from './sha256-blocks.js'

const theirs = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('sha256OfBytes', () => {
  it('gives the FIPS 180-2 example digests', () => {
    const examples: ReadonlyArray<readonly [string, string]> = [
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [
        'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      ],
    ]
    for (const [text, digest] of examples)
      expect(hex(sha256OfBytes(new TextEncoder().encode(text)))).toBe(digest)
    expect(hex(sha256OfBytes(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    )
  })

  it('agrees with node:crypto on any bytes, at every length around the block boundaries', () => {
    const boundary = fc.constantFrom(0, 1, 32, 33, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192)
    const length = fc.oneof(boundary, fc.nat({ max: 300 }))
    fc.assert(
      fc.property(
        length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (data) => {
          const before = hex(data)
          expect(hex(sha256OfBytes(data))).toBe(theirs(data))
          expect(hex(nodeSha256(data))).toBe(theirs(data))
          // The input is read, never written.
          expect(hex(data)).toBe(before)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('gives each digest its own bytes: a later call changes no earlier digest', () => {
    const first = sha256OfBytes(Uint8Array.of(1))
    const kept = hex(first)
    sha256OfBytes(Uint8Array.of(2))
    expect(hex(first)).toBe(kept)
    expect(smallInputBytes).toBe(119)
  })

  it('hashes a view into a larger buffer by the view alone', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), fc.nat(), (bytes, from, to) => {
        const lo = from % (bytes.length + 1)
        const hi = lo + (to % (bytes.length - lo + 1))
        const view = bytes.subarray(lo, hi)
        expect(hex(sha256OfBytes(view))).toBe(theirs(view))
        expect(hex(nodeSha256(view))).toBe(theirs(view))
      }),
      { numRuns: 500 },
    )
  })
})
