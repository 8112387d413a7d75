// The verifier's own decoding and unpacking of a presentation (`presentation-parts.ts`,
// `disclosures.ts`) held to `@sd-jwt/decode`'s, the library's path, as the oracle: on SD-JWTs the
// library issues from random claims with random disclosure frames (nested, arrays, decoys), on
// random selections of their disclosures (repeated, reordered, from another credential, a child
// without its parent), and on random edits of the text. Where the library accepts a presentation
// the verifier reads the same parts, digests and claims, and names exactly the RFC 9901 §7.1
// problems the library lets pass; it refuses more only where the text is not canonical (a segment
// outside base64url, a disclosure that is not an array with a string salt and name).
import { createHash } from 'node:crypto'
import { parseJsonText } from '@elicence/domain'
import { SDJwtInstance } from '@sd-jwt/core'
import { decodeJwt, splitSdJwt, unpackSync } from '@sd-jwt/decode'
import type { DisclosureFrame } from '@sd-jwt/types'
import { Disclosure } from '@sd-jwt/utils'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { nodeSha256Base64Url } from '../node/sha256.js'
import { nodeEd25519Signer, nodeSignatureBackend } from '../node/signatures.js'
import { type DisclosureProblem, unpackDisclosures } from './disclosures.js'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from './issuer-keys.js'
import { presentationChecker } from './presentation-checks.js'
import { type DigestedDisclosure, presentationParts } from './presentation-parts.js'
import { saltGenerator, sdJwtHasherSync } from './sd-jwt.js'
import { sdHashOf } from './verify.js'

const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
const hasher = sdJwtHasherSync(sha256)
const issuerUrl = 'https://elicence.example'

let keys: IssuerKeys
let issuer: SDJwtInstance<Record<string, unknown>>
let device: CryptoKeyPair

beforeAll(async () => {
  const imported = await importIssuerKeys(await generateIssuerKey())
  if (E.isLeft(imported)) throw new Error(String(imported.left))
  keys = imported.right
  const sign = nodeEd25519Signer(keys.signingKey)
  issuer = new SDJwtInstance({
    signer: async (data) => sign(data),
    signAlg: 'EdDSA',
    hasher,
    hashAlg: 'sha-256',
    saltGenerator,
  })
  device = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
})

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// Claims of every JSON kind, nested; names that are no SD-JWT keyword.
const claimName = fc.constantFrom('a', 'b', 'c', 'given', 'family', '0', '12')
const claims = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    tie('record'),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
  record: fc.dictionary(claimName, tie('value'), { maxKeys: 4 }),
})).record as fc.Arbitrary<Record<string, unknown>>

/** A disclosure frame for `value`, each member and element selectively disclosable as `choose` says. */
const frameOf = (value: unknown, choose: () => boolean): Record<string, unknown> | undefined => {
  if (!Array.isArray(value) && !isRecord(value)) return undefined
  const frame: Record<string, unknown> = {}
  const disclosable: Array<string | number> = []
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((element, index) => [index, element])
    : Object.entries(value)
  for (const [name, member] of entries) {
    if (choose()) disclosable.push(name)
    const inner = frameOf(member, choose)
    if (inner !== undefined) frame[String(name)] = inner
  }
  if (disclosable.length > 0) frame._sd = disclosable
  if (choose()) frame._sd_decoy = 2
  return Object.keys(frame).length === 0 ? undefined : frame
}

const chooser = (choices: ReadonlyArray<boolean>) => {
  let next = 0
  return () => choices[next++ % choices.length] ?? false
}

/** Issued with `payload`'s claims disclosable as `choices` say, and the envelope's always in the clear. */
const issued = (
  payload: Record<string, unknown>,
  choices: ReadonlyArray<boolean>,
  envelope: Record<string, unknown> = {},
) =>
  issuer.issue(
    { ...payload, ...envelope },
    (frameOf(payload, chooser(choices)) ?? {}) as DisclosureFrame<Record<string, unknown>>,
    { header: { typ: 'dc+sd-jwt', kid: keys.kid } },
  )

/** The library's reading of the disclosures: each decoded, digested by its text. */
const libraryDisclosures = (texts: ReadonlyArray<string>) =>
  texts.map((text) => Disclosure.fromEncodeSync(text, { hasher, alg: 'sha-256' }))

const ourDisclosures = (texts: ReadonlyArray<string>): DigestedDisclosure[] => {
  const parts = presentationParts(`${issuedJwt}~${texts.map((text) => `${text}~`).join('')}`)
  if (parts === undefined) throw new Error('a disclosure the library issued did not decode')
  return parts.disclosures.map((disclosure) => ({
    ...disclosure,
    digest: base64url.encode(hasher(disclosure.text, 'sha-256')),
  }))
}
// Any compact JWS: the disclosures' decoding does not depend on it.
const issuedJwt = `${base64url.encode('{"alg":"EdDSA"}')}.${base64url.encode('{}')}.c2ln`

/** The library's unpacking, without the top-level `_sd_alg` it takes off before unpacking. */
const libraryClaims = (payload: Record<string, unknown>, texts: ReadonlyArray<string>) =>
  unpackSync(payload, libraryDisclosures(texts), hasher)

const withoutSdAlg = (claims: Record<string, unknown>): Record<string, unknown> => {
  const { _sd_alg: _, ...rest } = claims
  return rest
}

const selection = fc.record({
  payload: claims,
  choices: fc.array(fc.boolean(), { minLength: 1, maxLength: 32 }),
  picks: fc.array(fc.nat(), { maxLength: 12 }),
  foreign: fc.boolean(),
})

describe('unpackDisclosures, held to the library’s unpack', () => {
  it('unpacks every presented disclosure as the library does, and names what the library lets pass', async () => {
    await fc.assert(
      fc.asyncProperty(selection, async ({ payload, choices, picks, foreign }) => {
        const credential = await issued(payload, choices)
        const [jwt = '', ...rest] = credential.split('~')
        const all = rest.filter((text) => text !== '')
        const chosen = all.length === 0 ? [] : picks.map((pick) => all[pick % all.length] ?? '')
        // A disclosure of another credential: its digest is nowhere in this one.
        const other = foreign ? (await issued({ a: 1 }, [true])).split('~')[1] : undefined
        const texts = other === undefined ? chosen : [...chosen, other]
        const signedPayload = decodeJwt(jwt).payload as Record<string, unknown>

        const ours = unpackDisclosures(signedPayload, ourDisclosures(texts))
        const library = libraryClaims(signedPayload, texts)
        const reached = new Set(Object.values(library.disclosureKeymap))
        const expected = new Set<DisclosureProblem>()
        if (texts.some((text) => !reached.has(base64url.encode(hasher(text, 'sha-256')))))
          expected.add('unreferenced-disclosure')
        if (new Set(texts).size !== texts.length) expected.add('duplicate-disclosure')
        expect(new Set(ours.problems)).toEqual(expected)
        if (ours.problems.length === 0) {
          expect(withoutSdAlg(ours.claims)).toEqual(library.unpackedObj)
          // Same members in the same order: the verifier's answer lists them as the library would.
          expect(JSON.stringify(withoutSdAlg(ours.claims))).toBe(JSON.stringify(library.unpackedObj))
        }
      }),
      { numRuns: 300 },
    )
  })

  it('with every disclosure presented once, shows the claims as issued', async () => {
    await fc.assert(
      fc.asyncProperty(claims, fc.array(fc.boolean(), { minLength: 1 }), async (payload, choices) => {
        const [jwt = '', ...rest] = (await issued(payload, choices)).split('~')
        const signedPayload = decodeJwt(jwt).payload as Record<string, unknown>
        const ours = unpackDisclosures(signedPayload, ourDisclosures(rest.filter((text) => text !== '')))
        expect(ours.problems).toEqual([])
        expect(withoutSdAlg(ours.claims)).toEqual(payload)
      }),
      { numRuns: 150 },
    )
  })

  it('names a claim disclosed twice over, or beside a member of its name, and a disclosure out of place', () => {
    const disclosure = (text: string, key: string | undefined, value: unknown): DigestedDisclosure => ({
      text,
      key,
      value,
      digest: `digest-of-${text}`,
    })
    const named = disclosure('n', 'a', 1)
    const element = disclosure('e', undefined, 2)
    expect(unpackDisclosures({ a: 0, _sd: ['digest-of-n'] }, [named]).problems).toEqual([
      'claim-name-collision',
    ])
    // Listed twice, the one claim is also disclosed twice over.
    expect(unpackDisclosures({ _sd: ['digest-of-n', 'digest-of-n'] }, [named]).problems).toEqual([
      'duplicate-digest',
      'claim-name-collision',
    ])
    expect(unpackDisclosures({ _sd: ['digest-of-e'] }, [element]).problems).toEqual(['misplaced-disclosure'])
    expect(unpackDisclosures({ list: [{ '...': 'digest-of-n' }] }, [named]).problems).toEqual([
      'misplaced-disclosure',
    ])
    const reserved = disclosure('r', '_sd', [])
    expect(unpackDisclosures({ _sd: ['digest-of-r'] }, [reserved]).problems).toEqual(['misplaced-disclosure'])
    // A claim named __proto__ is a claim of its own, never the prototype of the claims.
    const proto = disclosure('p', '__proto__', { polluted: true })
    const unpacked = unpackDisclosures({ _sd: ['digest-of-p'] }, [proto])
    expect(unpacked.problems).toEqual([])
    expect(Object.getPrototypeOf(unpacked.claims)).toBe(Object.prototype)
    expect(Object.keys(unpacked.claims)).toEqual(['__proto__'])
    // A `_sd` that is no array lists no digest (the library would throw on a number).
    expect(unpackDisclosures({ _sd: 5, a: 1 }, []).claims).toEqual({ a: 1 })
  })
})

/** The library's reading of a whole presentation, or undefined where it throws. */
const libraryParts = (text: string) => {
  try {
    const parts = splitSdJwt(text)
    return {
      ...parts,
      credential: decodeJwt(parts.jwt),
      disclosures: libraryDisclosures(parts.disclosures),
    }
  } catch {
    return undefined
  }
}

/**
 * Why the verifier may refuse what the library reads: a segment that is not canonical, or JSON
 * that names a member twice (or a prototype member), which every JSON input of ours refuses.
 */
const notCanonical = (text: string): boolean => {
  const [jwt = '', ...rest] = text.split('~')
  const disclosures = rest.slice(0, -1)
  const segments = [...jwt.split('.').slice(0, 2), ...disclosures]
  if (segments.some((segment) => !/^[A-Za-z0-9_-]+$/.test(segment) || segment.length % 4 === 1)) return true
  if (
    segments.some((segment) => {
      try {
        const json = new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment))
        return E.isLeft(parseJsonText(json)) && JSON.parse(json) !== undefined
      } catch {
        return false
      }
    })
  )
    return true
  const [header, payload] = jwt.split('.').map((segment) => {
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment)))
    } catch {
      return undefined
    }
  })
  if (!isRecord(header) || !isRecord(payload)) return true
  return disclosures.some((segment) => {
    try {
      const array = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment)))
      return !(
        Array.isArray(array) &&
        typeof array[0] === 'string' &&
        (array.length === 2 || (array.length === 3 && typeof array[1] === 'string'))
      )
    } catch {
      return true
    }
  })
}

const editedCharacter = fc.constantFrom('A', 'z', '0', '-', '_', '=', '+', '/', '~', '.', ' ', 'é', '"')

/** A signed presentation of a library-issued credential, with a KB-JWT of the device key. */
const presentation = async (
  payload: Record<string, unknown>,
  choices: ReadonlyArray<boolean>,
  envelope: Record<string, unknown> = {},
) => {
  const withoutKb = await issued(payload, choices, {
    iss: issuerUrl,
    vct: 'urn:elicence:e-licence:1',
    ...envelope,
  })
  const header = base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'kb+jwt' }))
  const kbPayload = base64url.encode(
    JSON.stringify({ iat: 1_000, aud: issuerUrl, nonce: 'n', sd_hash: await sdHashOf(withoutKb, sha256) }),
  )
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    device.privateKey,
    new TextEncoder().encode(`${header}.${kbPayload}`),
  )
  return `${withoutKb}${header}.${kbPayload}.${base64url.encode(new Uint8Array(signature))}`
}

describe('presentationParts, held to the library’s decoding', () => {
  it('reads what the library reads from random edits of a presentation, refusing more only what is not canonical', async () => {
    await fc.assert(
      fc.asyncProperty(
        claims,
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.array(fc.tuple(fc.nat(), editedCharacter, fc.boolean()), { maxLength: 3 }),
        async (payload, choices, edits) => {
          let text = await presentation(payload, choices)
          for (const [at, character, insert] of edits) {
            const index = at % text.length
            text = `${text.slice(0, index)}${character}${text.slice(index + (insert ? 0 : 1))}`
          }
          const ours = presentationParts(text)
          const library = libraryParts(text)
          if (ours === undefined) {
            if (library !== undefined) expect(notCanonical(text)).toBe(true)
            return
          }
          expect(library).toBeDefined()
          if (library === undefined) return
          expect(ours.credential.header).toEqual(library.credential.header)
          expect(ours.credential.payload).toEqual(library.credential.payload)
          expect(ours.keyBinding).toBe(library.kbJwt)
          expect(ours.disclosures.map(({ key, value }) => [key, value])).toEqual(
            library.disclosures.map(({ key, value }) => [key, value]),
          )
          expect(
            ours.disclosures.map(({ text: encoded }) => base64url.encode(hasher(encoded, 'sha-256'))),
          ).toEqual(library.disclosures.map((disclosure) => disclosure._digest))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuses JSON that names a member twice: in the KB-JWT, the issuer-signed JWT and a disclosure', async () => {
    const check = presentationChecker({
      jwks: keys.jwks,
      issuer: issuerUrl,
      sha256,
      signatures: nodeSignatureBackend,
    })
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', device.publicKey)
    const bound = { iat: 900, exp: 10_000_000_000, cnf: { jwk: { kty, crv, x, y } } }
    const withoutKb = await issued({ a: 'x' }, [true], {
      iss: issuerUrl,
      vct: 'urn:elicence:e-licence:1',
      ...bound,
    })
    const sdHash = await sdHashOf(withoutKb, sha256)
    const signedKb = async (payloadText: string) => {
      const header = base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'kb+jwt' }))
      const payload = base64url.encode(payloadText)
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        device.privateKey,
        new TextEncoder().encode(`${header}.${payload}`),
      )
      return `${withoutKb}${header}.${payload}.${base64url.encode(new Uint8Array(signature))}`
    }
    const kbPayload = `"iat":1000,"nonce":"n","sd_hash":"${sdHash}"`
    const once = await signedKb(`{"aud":"${issuerUrl}",${kbPayload}}`)
    expect((await check(once, { now: 1_000_000 })).verification).toMatchObject({ valid: true })
    // Signed as it is, by the right key: JSON.parse alone would read the second audience.
    const twice = await signedKb(`{"aud":"https://elsewhere.example","aud":"${issuerUrl}",${kbPayload}}`)
    const refused = (await check(twice, { now: 1_000_000 })).verification
    expect(refused.valid).toBe(false)
    expect(refused.reasons).toContain('key-binding-malformed')

    const [jwt = '', disclosure = ''] = withoutKb.split('~')
    const [header = '', payload = '', signature = ''] = jwt.split('.')
    const payloadText = new TextDecoder().decode(base64url.decode(payload))
    const doubled = `{"iss":"${issuerUrl}",${payloadText.slice(1)}`
    expect(presentationParts(`${header}.${base64url.encode(doubled)}.${signature}~`)).toBeUndefined()
    expect(presentationParts(`${jwt}~${disclosure}~`)).toBeDefined()
    expect(presentationParts(`${jwt}~${base64url.encode('[{"k":1,"k":2},"a","x"]')}~`)).toBeUndefined()
  })

  it('checks every edit of a valid presentation without throwing, and accepts none but the KB signature’s spare bits', async () => {
    const check = presentationChecker({
      jwks: keys.jwks,
      issuer: issuerUrl,
      sha256,
      signatures: nodeSignatureBackend,
    })
    // Node's digests in one call (`sha256Base64Url`) must change nothing a verification says.
    const checkWithNodeDigests = presentationChecker({
      jwks: keys.jwks,
      issuer: issuerUrl,
      sha256Base64Url: nodeSha256Base64Url,
      signatures: nodeSignatureBackend,
    })
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', device.publicKey)
    const bound = { iat: 900, exp: 10_000_000_000, cnf: { jwk: { kty, crv, x, y } } }
    const now = 1_000_000
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(claimName, fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.nat(),
        editedCharacter,
        async (payload, choices, at, character) => {
          const original = await presentation(payload, choices, bound)
          expect((await check(original, { now })).verification).toMatchObject({ valid: true, reasons: [] })
          const index = at % original.length
          const text = `${original.slice(0, index)}${character}${original.slice(index + 1)}`
          const { verification } = await check(text, { now })
          expect((await checkWithNodeDigests(text, { now })).verification).toEqual(verification)
          expect(verification.valid).toBe(verification.reasons.length === 0)
          // The last character of the KB-JWT's signature carries 4 bits no signature byte uses.
          if (verification.valid) expect(text === original || index === original.length - 1).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })
})
