// `isP256Point` against node's (OpenSSL's) JWK import as the oracle: valid device keys, their
// negations (also points), and every way of bending one off the curve or out of the field.
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { isP256Point, P256PublicJwk } from './holder-key.js'

const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n

const toCoordinate = (value: bigint): string =>
  Buffer.from(value.toString(16).padStart(64, '0'), 'hex').toString('base64url')
const fromCoordinate = (coordinate: string): bigint =>
  BigInt(`0x${Buffer.from(coordinate, 'base64url').toString('hex')}`)

const nodeAccepts = (x: string, y: string): boolean => {
  try {
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' })
    return true
  } catch {
    return false
  }
}

const ours = (x: string, y: string): boolean => {
  const decoded = P256PublicJwk.decode({ kty: 'EC', crv: 'P-256', x, y })
  if (E.isLeft(decoded)) throw new Error('not a well-formed coordinate')
  return isP256Point(decoded.right)
}

const validKeys = Array.from({ length: 32 }, () => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
  return { x: jwk.x ?? '', y: jwk.y ?? '' }
})

describe('isP256Point', () => {
  it('accepts every key a device makes, and its negation', () => {
    for (const { x, y } of validKeys) {
      expect(ours(x, y)).toBe(true)
      const negated = toCoordinate(p - fromCoordinate(y))
      expect([ours(x, negated), nodeAccepts(x, negated)]).toEqual([true, true])
    }
  })

  it('agrees with node on keys bent off the curve or out of the field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...validKeys),
        fc.bigInt({ min: 1n, max: 2n ** 64n }),
        fc.constantFrom('y+d', 'x+d', 'swap', 'x+p', 'y+p'),
        ({ x, y }, delta, bend) => {
          const [bx, by] = [fromCoordinate(x), fromCoordinate(y)]
          const bent: Record<typeof bend, readonly [bigint, bigint]> = {
            'y+d': [bx, (by + delta) % 2n ** 256n],
            'x+d': [(bx + delta) % 2n ** 256n, by],
            swap: [by, bx],
            'x+p': [bx + p, by],
            'y+p': [bx, by + p],
          }
          const [cx, cy] = bent[bend]
          // x + p and y + p reach past 256 bits for most points: those are no coordinates at all.
          if (cx >= 2n ** 256n || cy >= 2n ** 256n) return
          const [ex, ey] = [toCoordinate(cx), toCoordinate(cy)]
          expect(ours(ex, ey)).toBe(nodeAccepts(ex, ey))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('agrees with node on random coordinates', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        (x, y) => {
          const [ex, ey] = [toCoordinate(x), toCoordinate(y)]
          expect(ours(ex, ey)).toBe(nodeAccepts(ex, ey))
        },
      ),
      { numRuns: 200 },
    )
  })
})
