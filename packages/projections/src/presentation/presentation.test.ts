import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeHistory, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceViewState, eLicenceView } from '../views/e-licence.js'
import { foldView } from '../views/view.js'
import {
  base64UrlDecode,
  base64UrlEncode,
  generatePresentationKeys,
  importReferenceKey,
  importSigningKey,
  importVerificationKey,
  publicKeyPemOf,
} from './keys.js'
import {
  type ELicenceLookup,
  type PresentationPayload,
  signPresentation,
  verifyPresentation,
} from './presentation.js'
import { openReference, sealReference } from './reference.js'

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}
const codeOf = (either: E.Either<{ code: string }, unknown>) =>
  E.isLeft(either) ? either.left.code : 'accepted'
const plusSeconds = (instant: string, seconds: number) =>
  new Date(Date.parse(instant) + seconds * 1000).toISOString()

let keys: {
  privateKey: CryptoKey
  publicKey: CryptoKey
  otherPublicKey: CryptoKey
  referenceKey: CryptoKey
  otherReferenceKey: CryptoKey
}
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
    referenceKey: right(await importReferenceKey(generated.referenceKey)),
    otherReferenceKey: right(await importReferenceKey(other.referenceJwk)),
  }
  const before = await viewAfter(false)
  issued = before.view
  signedAt = plusSeconds(before.at, 60)
  invalidated = (await viewAfter(true)).view
})

const sign = async (now = signedAt, referenceKey = keys.referenceKey) =>
  right(await signPresentation(issued, { privateKey: keys.privateKey, referenceKey, now }))

/** The issuing service's online check, with our reference key. */
const onlineWith = (lookup: ELicenceLookup) => ({ referenceKey: keys.referenceKey, lookup })

const payloadText = (token: string): string => {
  const bytes = base64UrlDecode(token.split('.')[1] ?? '')
  if (bytes === undefined) throw new Error('the payload is not base64url')
  return new TextDecoder().decode(bytes)
}

/** The token of `payload` under the signature of another: what a forger can make without the key. */
const withPayload = (token: string, payload: unknown): string => {
  const [prefix, , signature] = token.split('.')
  return `${prefix}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(payload)))}.${signature}`
}

describe('presentations', () => {
  it('given an issued e-licence, when presented and verified within 60 s, then it is accepted with masked holder and number', async () => {
    const { token, payload } = await sign()
    expect(token).toMatch(/^EP1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    const verified = right(
      await verifyPresentation(token, { publicKey: keys.publicKey, now: plusSeconds(signedAt, 59) }),
    )
    expect(verified.payload).toEqual(payload)
    expect(Object.keys(payload).sort()).toEqual(
      [
        'reference',
        'holder',
        'licenceNumber',
        'classes',
        'validUntil',
        'statuses',
        'signedAt',
        'presentation',
      ].sort(),
    )
    expect(payload.reference).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(payload).toMatchObject({
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

  it('carries neither the licence number nor the e-licence id in the QR text, only a reference the service opens', async () => {
    const licenceNumber = licenceNumberFor(0)
    const eLicenceId = `EL-${licenceNumber}-1`
    expect(issued?.eLicenceId).toBe(eLicenceId)
    const references = new Set<string>()
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3600 }), async (offset) => {
        const { token, payload } = await sign(plusSeconds(signedAt, offset))
        const text = payloadText(token)
        for (const secret of [licenceNumber, eLicenceId, licenceNumber.slice(6, 14)]) {
          expect(token).not.toContain(secret)
          expect(text).not.toContain(secret)
        }
        expect(JSON.parse(text)).not.toHaveProperty('eLicenceId')
        expect(right(await openReference(payload.reference, keys.referenceKey))).toBe(eLicenceId)
        references.add(payload.reference)
      }),
      { numRuns: 20 },
    )
    // A fresh IV each time: presentations of one e-licence cannot be linked by their reference.
    expect(references.size).toBe(20)
  })

  it('refuses any change to the signed payload, and a signature by another key', async () => {
    const { token, payload } = await sign()
    const [prefix, , signature] = token.split('.')
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          reference: fc.string(),
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

  it('refuses a presentation signed by us whose reference was swapped or altered: the signature covers it', async () => {
    const { token, payload } = await sign()
    // Another e-licence's genuine reference, sealed under our own reference key.
    const otherReference = right(await sealReference(`EL-${licenceNumberFor(1)}-1`, keys.referenceKey))
    const bytes = base64UrlDecode(payload.reference) ?? new Uint8Array()
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1
    for (const reference of [otherReference, base64UrlEncode(bytes)]) {
      const tampered: PresentationPayload = { ...payload, reference }
      const verdict = await verifyPresentation(withPayload(token, tampered), {
        publicKey: keys.publicKey,
        now: signedAt,
        online: onlineWith(async () => E.right(issued)),
      })
      expect(codeOf(verdict)).toBe('bad-signature')
    }
  })

  it('online, refuses a genuinely signed presentation whose reference is sealed under another key', async () => {
    const { token } = await sign(signedAt, keys.otherReferenceKey)
    let looked = false
    const verdict = await verifyPresentation(token, {
      publicKey: keys.publicKey,
      now: signedAt,
      online: onlineWith(async () => {
        looked = true
        return E.right(issued)
      }),
    })
    expect(codeOf(verdict)).toBe('unknown-reference')
    expect(looked).toBe(false)
    // Offline, without the reference key, the signature and validity window still verify.
    expect(codeOf(await verifyPresentation(token, { publicKey: keys.publicKey, now: signedAt }))).toBe(
      'accepted',
    )
  })

  it('online, refuses a presentation of an e-licence invalidated since it was signed, and accepts a current one', async () => {
    const { token } = await sign()
    const now = plusSeconds(signedAt, 10)
    const looked: string[] = []
    const verdictWith = (answer: E.Either<string, ELicenceViewState>) =>
      verifyPresentation(token, {
        publicKey: keys.publicKey,
        now,
        online: onlineWith(async (eLicenceId) => {
          looked.push(eLicenceId)
          return answer
        }),
      })
    const invalidatedVerdict = await verdictWith(E.right(invalidated))
    expect(codeOf(invalidatedVerdict)).toBe('e-licence-invalidated')
    // The service found the e-licence through the reference; the verdict does not name it.
    expect(looked).toEqual([`EL-${licenceNumberFor(0)}-1`])
    expect(JSON.stringify(invalidatedVerdict)).not.toContain(licenceNumberFor(0))
    const unknown = await verdictWith(E.right(null))
    expect(codeOf(unknown)).toBe('e-licence-unknown')
    expect(JSON.stringify(unknown)).not.toContain(licenceNumberFor(0))
    expect(codeOf(await verdictWith(E.left('down')))).toBe('lookup-failed')
    const online = right(await verdictWith(E.right(issued)))
    expect(online.online?.eLicence).toBe('valid')
    expect(online.online).not.toHaveProperty('eLicenceId')
    expect(JSON.stringify(online)).not.toContain(licenceNumberFor(0))
  })

  it('refuses to sign for an e-licence that is not valid', async () => {
    const signing = { privateKey: keys.privateKey, referenceKey: keys.referenceKey, now: signedAt }
    const verdict = await signPresentation(invalidated, signing)
    expect(codeOf(verdict)).toBe('e-licence-not-valid')
    expect(E.isLeft(verdict) ? verdict.left.reasons : []).toContain('invalidated')
    expect(codeOf(await signPresentation(null, signing))).toBe('e-licence-not-valid')
  })

  it('takes keys as PEM or JWK, and derives the public key of a private one', async () => {
    const generated = await generatePresentationKeys()
    const fromJwk = right(await importSigningKey(JSON.stringify(generated.privateJwk)))
    const signed = right(
      await signPresentation(issued, { privateKey: fromJwk, referenceKey: keys.referenceKey, now: signedAt }),
    )
    const publicPem = right(await publicKeyPemOf(generated.privateKeyPem))
    const publicKey = right(await importVerificationKey(publicPem))
    expect(codeOf(await verifyPresentation(signed.token, { publicKey, now: signedAt }))).toBe('accepted')
    expect(E.isLeft(await importSigningKey('not a key'))).toBe(true)
    expect(
      E.isLeft(await importVerificationKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')),
    ).toBe(true)
  })

  it('takes the reference key as base64url, base64 or JWK, and refuses one that is not AES-256', async () => {
    const generated = await generatePresentationKeys()
    const raw = base64UrlDecode(generated.referenceKey) ?? new Uint8Array()
    expect(raw.length).toBe(32)
    const forms = [
      generated.referenceKey,
      `${Buffer.from(raw).toString('base64')}\n`, // as `openssl rand -base64 32` prints it
      generated.referenceJwk,
      JSON.stringify(generated.referenceJwk),
    ]
    const imported = await Promise.all(forms.map(async (form) => right(await importReferenceKey(form))))
    // Every form is the same key: what one seals, the others open.
    const sealed = right(await sealReference('EL-11010519491231002X-1', imported[0] as CryptoKey))
    for (const key of imported)
      expect(right(await openReference(sealed, key))).toBe('EL-11010519491231002X-1')
    for (const bad of [
      'not a key',
      base64UrlEncode(new Uint8Array(16)), // AES-128
      generated.privateJwk, // Ed25519
      { ...generated.referenceJwk, alg: 'A128GCM' },
      '{"kty":"oct"}',
    ]) {
      expect(E.isLeft(await importReferenceKey(bad))).toBe(true)
    }
  })
})
