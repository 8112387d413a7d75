import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { licenceNumberFor } from '../testing/histories.js'
import { base64UrlDecode, base64UrlEncode, generatePresentationKeys, importReferenceKey } from './keys.js'
import { openReference, sealReference } from './reference.js'

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}

let referenceKey: CryptoKey
let otherReferenceKey: CryptoKey

beforeAll(async () => {
  referenceKey = right(await importReferenceKey((await generatePresentationKeys()).referenceKey))
  otherReferenceKey = right(await importReferenceKey((await generatePresentationKeys()).referenceJwk))
})

const eLicenceIds = fc
  .tuple(fc.nat({ max: 5000 }), fc.integer({ min: 1, max: 1_000_000 }))
  .map(([index, n]) => `EL-${licenceNumberFor(index)}-${n}`)

describe('e-licence references', () => {
  it('open to the id sealed, under the same key only, and never show it', async () => {
    await fc.assert(
      fc.asyncProperty(eLicenceIds, async (eLicenceId) => {
        const reference = right(await sealReference(eLicenceId, referenceKey))
        expect(reference).toMatch(/^[A-Za-z0-9_-]+$/)
        expect(reference).not.toContain(eLicenceId.slice(3, 21))
        expect(right(await openReference(reference, referenceKey))).toBe(eLicenceId)
        expect(E.isLeft(await openReference(reference, otherReferenceKey))).toBe(true)
      }),
      { numRuns: 50 },
    )
  })

  it('have one length whatever the count of e-licences issued, so it tells nothing', async () => {
    const lengths = new Set<number>()
    for (const n of [1, 9, 10, 99, 12345]) {
      lengths.add(right(await sealReference(`EL-${licenceNumberFor(0)}-${n}`, referenceKey)).length)
    }
    expect(lengths.size).toBe(1)
  })

  it('refuse what was altered or is no reference', async () => {
    const reference = right(await sealReference(`EL-${licenceNumberFor(0)}-1`, referenceKey))
    const bytes = base64UrlDecode(reference) ?? new Uint8Array()
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, bit) => {
          const altered = Uint8Array.from(bytes)
          altered[at] = (altered[at] ?? 0) ^ bit
          expect(E.isLeft(await openReference(base64UrlEncode(altered), referenceKey))).toBe(true)
        },
      ),
      { numRuns: 50 },
    )
    for (const text of ['', 'not base64url!', reference.slice(0, 40), base64UrlEncode(new Uint8Array(80))]) {
      expect(E.isLeft(await openReference(text, referenceKey))).toBe(true)
    }
  })
})
