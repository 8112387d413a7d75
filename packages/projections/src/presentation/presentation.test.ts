import { eLicenceIdFor } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeHistory, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceViewState, eLicenceView } from '../views/e-licence.js'
import { foldView } from '../views/view.js'
import {
  base64UrlEncode,
  generatePresentationKeys,
  importSigningKey,
  importVerificationKey,
  publicKeyPemOf,
} from './keys.js'
import { licenceNumberOfELicenceId, signPresentation, verifyPresentation } from './presentation.js'

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}
const codeOf = (either: E.Either<{ code: string }, unknown>) =>
  E.isLeft(either) ? either.left.code : 'accepted'
const plusSeconds = (instant: string, seconds: number) =>
  new Date(Date.parse(instant) + seconds * 1000).toISOString()

let keys: { privateKey: CryptoKey; publicKey: CryptoKey; otherPublicKey: CryptoKey }
let issued: ELicenceViewState
let invalidated: ELicenceViewState
let signedAt: string

const viewAfter = async (renew: boolean) => {
  const { events } = await runHistoryScript({
    licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
    steps: [
      { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
      { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
      ...(renew
        ? [
            {
              licence: 0,
              advanceMinutes: 10,
              recordLagMinutes: 0,
              action: {
                kind: 'renew' as const,
                classes: ['B2' as const],
                validYears: 6,
                authority: 0 as const,
              },
            },
          ]
        : []),
    ],
  })
  const decoded = decodeHistory(events)
  return { view: foldView(eLicenceView, decoded), at: decoded[decoded.length - 1]?.metadata.at ?? '' }
}

beforeAll(async () => {
  const generated = await generatePresentationKeys()
  const other = await generatePresentationKeys()
  keys = {
    privateKey: right(await importSigningKey(generated.privateKeyPem)),
    publicKey: right(await importVerificationKey(generated.publicKeyPem)),
    otherPublicKey: right(await importVerificationKey(other.publicJwk)),
  }
  const before = await viewAfter(false)
  issued = before.view
  signedAt = plusSeconds(before.at, 60)
  invalidated = (await viewAfter(true)).view
})

const sign = async (now = signedAt) =>
  right(await signPresentation(issued, { privateKey: keys.privateKey, now }))

describe('presentations', () => {
  it('given an issued e-licence, when presented and verified within 60 s, then it is accepted with masked holder and number', async () => {
    const { token, payload } = await sign()
    expect(token).toMatch(/^EP1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    const verified = right(
      await verifyPresentation(token, { publicKey: keys.publicKey, now: plusSeconds(signedAt, 59) }),
    )
    expect(verified.payload).toEqual(payload)
    expect(payload).toMatchObject({
      eLicenceId: `EL-${licenceNumberFor(0)}-1`,
      holder: '张**',
      licenceNumber: `110105********${licenceNumberFor(0).slice(-4)}`,
      classes: ['C1'],
      presentation: { validFrom: signedAt, validUntil: plusSeconds(signedAt, 60) },
    })
  })

  it('refuses a presentation shown after its validity: the screenshot case', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 61, max: 10 * 365 * 86_400 }), async (later) => {
        const { token } = await sign()
        const verdict = await verifyPresentation(token, {
          publicKey: keys.publicKey,
          now: plusSeconds(signedAt, later),
        })
        expect(codeOf(verdict)).toBe('presentation-expired')
      }),
      { numRuns: 20 },
    )
  })

  it('refuses a presentation before its validFrom', async () => {
    const { token } = await sign()
    expect(
      codeOf(await verifyPresentation(token, { publicKey: keys.publicKey, now: plusSeconds(signedAt, -5) })),
    ).toBe('presentation-not-yet-valid')
    // A tolerated clock difference lets it through.
    expect(
      codeOf(
        await verifyPresentation(token, {
          publicKey: keys.publicKey,
          now: plusSeconds(signedAt, -5),
          toleranceSeconds: 10,
        }),
      ),
    ).toBe('accepted')
  })

  it('refuses any change to the signed payload, and a signature by another key', async () => {
    const { token, payload } = await sign()
    const [prefix, , signature] = token.split('.')
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          eLicenceId: fc.string(),
          classes: fc.constantFrom(['A1'], ['C1', 'D']),
          validUntil: fc.constantFrom('long-term', '2099-01-01'),
        }),
        async (changes) => {
          const forged = {
            ...payload,
            ...changes,
            presentation: { ...payload.presentation, validUntil: '2099-01-01T00:00:00.000Z' },
          }
          const body = base64UrlEncode(new TextEncoder().encode(JSON.stringify(forged)))
          const verdict = await verifyPresentation(`${prefix}.${body}.${signature}`, {
            publicKey: keys.publicKey,
            now: signedAt,
          })
          expect(codeOf(verdict)).toBe('bad-signature')
        },
      ),
      { numRuns: 20 },
    )
    expect(codeOf(await verifyPresentation(token, { publicKey: keys.otherPublicKey, now: signedAt }))).toBe(
      'bad-signature',
    )
  })

  it('refuses what is not a presentation', async () => {
    for (const token of [
      '',
      'EP1',
      'EP1.a.b.c',
      'XX1.abc.def',
      'EP1.!!!.abc',
      `EP1.${base64UrlEncode(new TextEncoder().encode('not json'))}.AA`,
    ]) {
      expect(['malformed-presentation', 'bad-signature']).toContain(
        codeOf(await verifyPresentation(token, { publicKey: keys.publicKey, now: signedAt })),
      )
    }
  })

  it('online, refuses a presentation of an e-licence invalidated since it was signed, and accepts a current one', async () => {
    const { token } = await sign()
    const now = plusSeconds(signedAt, 10)
    expect(
      codeOf(
        await verifyPresentation(token, {
          publicKey: keys.publicKey,
          now,
          online: async () => E.right(invalidated),
        }),
      ),
    ).toBe('e-licence-invalidated')
    expect(
      codeOf(
        await verifyPresentation(token, {
          publicKey: keys.publicKey,
          now,
          online: async () => E.right(null),
        }),
      ),
    ).toBe('e-licence-unknown')
    expect(
      codeOf(
        await verifyPresentation(token, {
          publicKey: keys.publicKey,
          now,
          online: async () => E.left('down'),
        }),
      ),
    ).toBe('lookup-failed')
    const online = right(
      await verifyPresentation(token, {
        publicKey: keys.publicKey,
        now,
        online: async () => E.right(issued),
      }),
    )
    expect(online.online?.eLicence).toBe('valid')
  })

  it('refuses to sign for an e-licence that is not valid', async () => {
    const verdict = await signPresentation(invalidated, { privateKey: keys.privateKey, now: signedAt })
    expect(codeOf(verdict)).toBe('e-licence-not-valid')
    expect(E.isLeft(verdict) ? verdict.left.reasons : []).toContain('invalidated')
    expect(codeOf(await signPresentation(null, { privateKey: keys.privateKey, now: signedAt }))).toBe(
      'e-licence-not-valid',
    )
  })

  it('takes keys as PEM or JWK, and derives the public key of a private one', async () => {
    const generated = await generatePresentationKeys()
    const fromJwk = right(await importSigningKey(JSON.stringify(generated.privateJwk)))
    const signed = right(await signPresentation(issued, { privateKey: fromJwk, now: signedAt }))
    const publicPem = right(await publicKeyPemOf(generated.privateKeyPem))
    const publicKey = right(await importVerificationKey(publicPem))
    expect(codeOf(await verifyPresentation(signed.token, { publicKey, now: signedAt }))).toBe('accepted')
    expect(E.isLeft(await importSigningKey('not a key'))).toBe(true)
    expect(
      E.isLeft(await importVerificationKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')),
    ).toBe(true)
  })

  it('finds the licence number inside any e-licence id the domain derives', () => {
    fc.assert(
      fc.property(fc.nat({ max: 5000 }), fc.nat({ max: 1000 }), (index, issuedCount) => {
        const licenceNumber = licenceNumberFor(index)
        expect(licenceNumberOfELicenceId(eLicenceIdFor(licenceNumber, issuedCount))).toBe(licenceNumber)
      }),
    )
    expect(licenceNumberOfELicenceId('EL-nonsense')).toBeUndefined()
  })
})
