// The credential end to end inside the library: issued from a real history's e-licence view,
// presented with a device key's Key Binding JWT, verified by our verifier and by the OpenWallet
// Foundation library's own `verify` (a verifier we did not write), and refused for each way a
// presentation can be wrong — with every reason at once.
import { createHash } from 'node:crypto'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { base64url, compactVerify, createLocalJWKSet, exportJWK, importJWK, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { nodeSignatureBackend } from '../node/signatures.js'
import type { ELicenceView } from '../views/e-licence.js'
import { defaultDisclosures, disclosableClaims } from './claims.js'
import { HolderKey } from './holder-key.js'
import { credentialIssuer, credentialRefusal } from './issue.js'
import { issuedLicence, p256DeviceKey } from './issued-licence.fixture.js'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from './issuer-keys.js'
import { type SignatureBackend, webCryptoSignatureBackend } from './jws.js'
import { presentCredential } from './present.js'
import { sdJwtHasher } from './sd-jwt.js'
import { type PresentationVerification, presentationVerifier, sdHashOf } from './verify.js'

const issuerUrl = 'https://elicence.example'
const statusUri = `${issuerUrl}/status-lists/1`
const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}

let keys: IssuerKeys
let view: ELicenceView
let issuedAt: number
let device: CryptoKeyPair
let holderKey: HolderKey
let credential: string

const holderKeyOf = async (pair: CryptoKeyPair): Promise<HolderKey> =>
  right(HolderKey.decode(await crypto.subtle.exportKey('jwk', pair.publicKey)))

beforeAll(async () => {
  keys = right(await importIssuerKeys(await generateIssuerKey()))
  ;({ view, issuedAt } = await issuedLicence())
  device = await p256DeviceKey()
  holderKey = await holderKeyOf(device)
  credential = await credentialIssuer({ keys, issuer: issuerUrl, sha256 })(view, {
    holderKey,
    status: { idx: 7, uri: statusUri },
    now: issuedAt,
  })
})

const present = (options: { readonly at?: number; readonly key?: CryptoKey; readonly nonce?: string } = {}) =>
  presentCredential(credential, {
    disclose: defaultDisclosures,
    deviceKey: options.key ?? device.privateKey,
    algorithm: 'ES256',
    audience: issuerUrl,
    nonce: options.nonce ?? 'nonce-1',
    now: options.at ?? issuedAt,
    sha256,
  })

/** How a verifier computes: Web Crypto throughout (a browser's), or Node's synchronous SHA-256 and KeyObjects (the server's). */
interface VerifierPlatform {
  readonly sha256?: typeof sha256
  readonly signatures: SignatureBackend
}
const platforms: ReadonlyArray<[string, VerifierPlatform]> = [
  ['Web Crypto', { signatures: webCryptoSignatureBackend }],
  ['node:crypto', { sha256, signatures: nodeSignatureBackend }],
]

const verifierOn = (platform: VerifierPlatform) => (statusCode?: number, statusList?: () => string) =>
  presentationVerifier({
    jwks: keys.jwks,
    issuer: issuerUrl,
    ...platform,
    ...(statusCode === undefined && statusList === undefined
      ? {}
      : { statusList: async () => E.right(statusList?.() ?? statusListJwtWith(statusCode ?? 0)) }),
  })

let statusLists: Map<number, string>
const statusListJwtWith = (code: number): string => statusLists.get(code) ?? ''

beforeAll(async () => {
  const { StatusList, createHeaderAndPayload } = await import('@sd-jwt/jwt-status-list')
  const { SignJWT } = await import('jose')
  statusLists = new Map()
  for (const code of [0, 1, 2]) {
    const list = new StatusList(new Array<number>(16).fill(0), 2)
    list.setStatus(7, code)
    const { header, payload } = createHeaderAndPayload(
      list,
      {
        iss: issuerUrl,
        sub: statusUri,
        iat: Math.floor(issuedAt / 1000),
        exp: Math.floor(issuedAt / 1000) + 100 * 86_400,
        ttl: 60,
      },
      { alg: 'EdDSA', typ: 'statuslist+jwt', kid: keys.kid },
    )
    statusLists.set(code, await new SignJWT(payload).setProtectedHeader(header).sign(keys.signingKey))
  }
})

/** Replaces the KB-JWT of a presentation with one the device key signs over its new content. */
const rebind = async (
  withoutKb: string,
  key: CryptoKey = device.privateKey,
  iat = issuedAt,
  // Claims put in place of the usual ones; an undefined one is left out.
  claims: Readonly<Record<string, unknown>> = {},
): Promise<string> => {
  const header = base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'kb+jwt' }))
  const payload = base64url.encode(
    JSON.stringify({
      iat: Math.floor(iat / 1000),
      aud: issuerUrl,
      nonce: 'nonce-1',
      sd_hash: await sdHashOf(withoutKb, sha256),
      ...claims,
    }),
  )
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    new TextEncoder().encode(`${header}.${payload}`),
  )
  return `${withoutKb}${header}.${payload}.${base64url.encode(new Uint8Array(signature))}`
}

const withoutKb = (presentation: string) => presentation.slice(0, presentation.lastIndexOf('~') + 1)

/** The library's own verifier, configured only from the JWKS, the device key and the status list. */
const libraryVerifier = (statusCode = 0) => {
  const jwks = createLocalJWKSet({ keys: keys.jwks.keys.map((key) => ({ ...key })) })
  return new SDJwtVcInstance({
    hasher: sdJwtHasher(sha256),
    verifier: async (data, signature) => {
      try {
        await compactVerify(`${data}.${signature}`, jwks)
        return true
      } catch {
        return false
      }
    },
    kbVerifier: async (data, signature, payload) => {
      const jwk = payload.cnf?.jwk as JWK
      try {
        await compactVerify(`${data}.${signature}`, await importJWK(jwk, 'ES256'))
        return true
      } catch {
        return false
      }
    },
    statusListFetcher: async () => statusListJwtWith(statusCode),
  })
}

const decodedParts = (presentation: string): string =>
  presentation
    .split(/[~.]/)
    .filter((part) => part !== '')
    .map((part) => new TextDecoder().decode(base64url.decode(part)))
    .join('\n')

describe('issuing', () => {
  it('issues a dc+sd-jwt signed EdDSA by the kid, with cnf, status and every claim disclosable', async () => {
    const [jwt = '', ...disclosures] = credential.split('~')
    const verified = await compactVerify(
      jwt,
      createLocalJWKSet({ keys: keys.jwks.keys.map((key) => ({ ...key })) }),
    )
    expect(verified.protectedHeader).toMatchObject({ typ: 'dc+sd-jwt', alg: 'EdDSA', kid: keys.kid })
    const payload = JSON.parse(new TextDecoder().decode(verified.payload))
    expect(payload).toMatchObject({
      iss: issuerUrl,
      vct: 'urn:elicence:e-licence:1',
      cnf: { jwk: { kty: 'EC', crv: 'P-256', x: holderKey.x } },
      status: { status_list: { idx: 7, uri: statusUri } },
      _sd_alg: 'sha-256',
    })
    expect(payload._sd).toHaveLength(disclosableClaims.length)
    expect(payload.exp).toBeGreaterThan(payload.iat)
    // Nothing about the licence in the clear: every claim is behind a digest.
    expect(JSON.stringify(payload)).not.toContain(view.licenceNumber)
    expect(JSON.stringify(payload)).not.toContain(view.eLicenceId ?? 'none')
    expect(disclosures.filter((part) => part !== '')).toHaveLength(disclosableClaims.length)
  })

  it('refuses to issue for a licence whose e-licence is not valid, naming why', () => {
    expect(credentialRefusal({ ...view, state: 'invalidated' }, issuedAt).reasons).toContain('invalidated')
    expect(credentialRefusal(null, issuedAt).reasons).toEqual(['licence-not-found'])
    expect(credentialRefusal(view, issuedAt).reasons).toBeNull()
  })

  it('decodes holder keys: P-256 and Ed25519 public JWKs, never a private one', async () => {
    const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    expect(E.isRight(HolderKey.decode(await exportJWK(ed.publicKey)))).toBe(true)
    expect(E.isLeft(HolderKey.decode(await exportJWK(ed.privateKey)))).toBe(true)
    expect(E.isLeft(HolderKey.decode({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }))).toBe(true)
    expect(E.isLeft(HolderKey.decode({ kty: 'EC', crv: 'P-256', x: 'short', y: 'short' }))).toBe(true)
  })
})

describe.each(platforms)('verifying with %s', (_name, platform) => {
  const verifier = verifierOn(platform)
  it('accepts a fresh presentation and shows only the chosen claims, never the licence number', async () => {
    const result = await verifier(0)(await present(), {
      now: issuedAt + 5_000,
      nonce: 'nonce-1',
      audience: issuerUrl,
    })
    expect(result).toMatchObject({ valid: true, reasons: [], status: 'valid' })
    expect(Object.keys(result.disclosed).sort()).toEqual([...defaultDisclosures].sort())
    expect(result.disclosed.masked_name).toBe('张**')
    expect(result.keyBinding).toMatchObject({ aud: issuerUrl, nonce: 'nonce-1', ageSeconds: 5 })
  })

  it('is accepted by the @sd-jwt/sd-jwt-vc verifier itself, and refused by it once the status says invalid', async () => {
    const presentation = await present()
    const options = { keyBindingNonce: 'nonce-1', currentDate: Math.floor(issuedAt / 1000) + 5 }
    const verified = await libraryVerifier(0).verify(presentation, options)
    expect(verified.kb?.payload.aud).toBe(issuerUrl)
    await expect(libraryVerifier(1).verify(presentation, options)).rejects.toThrow(/Status is not valid/)
  })

  it('rejects a disclosure that matches no digest, which the library silently ignores (RFC 9901 §7.1)', async () => {
    const stray = base64url.encode(
      JSON.stringify(['c2FsdHNhbHRzYWx0c2FsdA', 'document_number', '110105194912310038']),
    )
    const forged = await rebind(`${withoutKb(await present())}${stray}~`)
    const options = { keyBindingNonce: 'nonce-1', currentDate: Math.floor(issuedAt / 1000) + 5 }
    // The library accepts it, and does not show the stray claim either.
    const library = await libraryVerifier(0).verify(forged, options)
    expect((library.payload as Record<string, unknown>).document_number).toBeUndefined()
    const ours = await verifier(0)(forged, { now: issuedAt + 5_000 })
    expect(ours.valid).toBe(false)
    expect(ours.reasons).toEqual(['unreferenced-disclosure'])
  })

  it('rejects a repeated disclosure and names each problem', async () => {
    const presentation = withoutKb(await present())
    const first = presentation.split('~')[1] ?? ''
    const result = await verifier(0)(await rebind(`${presentation}${first}~`), { now: issuedAt + 5_000 })
    expect(result.reasons).toEqual(['duplicate-disclosure'])
  })

  it('refuses a screenshot: the same presentation two minutes later is stale', async () => {
    const result = await verifier(0)(await present(), { now: issuedAt + 120_000 })
    expect(result).toMatchObject({ valid: false, reasons: ['presentation-stale'], status: 'valid' })
  })

  it('refuses a presentation signed by another device key, and one for another nonce or audience', async () => {
    const other = await p256DeviceKey()
    const signedElsewhere = await verifier(0)(await present({ key: other.privateKey }), { now: issuedAt })
    expect(signedElsewhere.reasons).toEqual(['key-binding-signature-invalid'])
    const replayed = await verifier(0)(await present(), {
      now: issuedAt,
      nonce: 'nonce-2',
      audience: 'https://rental.example',
    })
    expect(replayed.reasons).toEqual(['nonce-mismatch', 'audience-mismatch'])
  })

  it('refuses a presentation without key binding, or with a KB-JWT over other disclosures', async () => {
    const bare = await verifier(0)(withoutKb(await present()), { now: issuedAt })
    expect(bare.reasons).toEqual(['key-binding-missing'])
    const full = await present()
    const kb = full.slice(full.lastIndexOf('~') + 1)
    const fewer = withoutKb(full).split('~').slice(0, -2).join('~')
    const moved = await verifier(0)(`${fewer}~${kb}`, { now: issuedAt })
    expect(moved.reasons).toEqual(['key-binding-sd-hash-mismatch'])
  })

  it('reports every failing check at once: expired credential, stale KB-JWT and an invalid status', async () => {
    const result = await verifier(1)(await present(), { now: issuedAt + 40 * 24 * 3600_000 })
    expect(result.reasons).toEqual(['credential-expired', 'presentation-stale', 'status-invalid'])
    expect(result.status).toBe('invalid')
  })

  it('says suspended for an abnormal licence and unchecked when offline', async () => {
    expect((await verifier(2)(await present(), { now: issuedAt })).reasons).toEqual(['status-suspended'])
    expect(await verifier()(await present(), { now: issuedAt })).toMatchObject({
      valid: true,
      status: 'unchecked',
    })
  })

  it('refuses a credential signed by a key not in the JWKS, and an altered issuer-signed part', async () => {
    const stranger = right(await importIssuerKeys(await generateIssuerKey()))
    const foreign = await credentialIssuer({ keys: stranger, issuer: issuerUrl, sha256 })(view, {
      holderKey,
      status: { idx: 7, uri: statusUri },
      now: issuedAt,
    })
    const presented = await presentCredential(foreign, {
      disclose: defaultDisclosures,
      deviceKey: device.privateKey,
      algorithm: 'ES256',
      audience: issuerUrl,
      nonce: 'n',
      now: issuedAt,
    })
    const unknown: PresentationVerification = await verifier(0)(presented, { now: issuedAt })
    expect(unknown.reasons).toEqual(['unknown-issuer-key'])
    expect(unknown.disclosed).toEqual({})
    const [jwt = '', ...rest] = (await present()).split('~')
    const [header, payload, signature] = jwt.split('.')
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? '')))
    const altered = `${header}.${base64url.encode(JSON.stringify({ ...claims, exp: claims.exp + 1 }))}.${signature}`
    const tampered = await rebind(`${[altered, ...rest.slice(0, -1)].join('~')}~`)
    const forged = await verifier(0)(tampered, { now: issuedAt })
    expect(forged.reasons).toEqual(['issuer-signature-invalid'])
    // The status its unverified payload points to is nobody's word: not looked up, not shown.
    expect(forged.status).toBe('unchecked')
    expect(unknown.status).toBe('unchecked')
  })

  it('refuses an issuer-signed part whose header names a critical extension, though its signature verifies', async () => {
    const [jwt = '', ...rest] = (await present()).split('~')
    const [header = '', payload = ''] = jwt.split('.')
    const critical = base64url.encode(
      JSON.stringify({
        ...JSON.parse(new TextDecoder().decode(base64url.decode(header))),
        crit: ['x'],
        x: 1,
      }),
    )
    const signature = await crypto.subtle.sign(
      'Ed25519',
      keys.signingKey,
      new TextEncoder().encode(`${critical}.${payload}`),
    )
    const resigned = `${critical}.${payload}.${base64url.encode(new Uint8Array(signature))}`
    const result = await verifier(0)(await rebind(`${[resigned, ...rest.slice(0, -1)].join('~')}~`), {
      now: issuedAt,
    })
    expect(result.reasons).toEqual(['issuer-signature-invalid'])
    expect(result.disclosed).toEqual({})
  })

  it('refuses a KB-JWT without aud or nonce (RFC 9901 §4.3) whatever the caller compares, as the library does', async () => {
    const sdJwt = withoutKb(await present())
    const now = issuedAt + 5_000
    const libraryOptions = { keyBindingNonce: 'nonce-1', currentDate: Math.floor(now / 1000) }
    for (const left of [{ nonce: undefined }, { aud: undefined }, { aud: undefined, nonce: undefined }]) {
      const presentation = await rebind(sdJwt, device.privateKey, issuedAt, left)
      for (const check of [{ now }, { now, nonce: 'nonce-1', audience: issuerUrl }]) {
        const result = await verifier(0)(presentation, check)
        expect([left, result.valid, result.reasons]).toEqual([left, false, ['key-binding-malformed']])
      }
      await expect(libraryVerifier(0).verify(presentation, libraryOptions)).rejects.toThrow()
    }
    // Of another type: a number for a nonce, an empty audience list, one that is not all strings.
    for (const claims of [{ nonce: 7 }, { aud: [] }, { aud: [issuerUrl, 3] }]) {
      const result = await verifier(0)(await rebind(sdJwt, device.privateKey, issuedAt, claims), { now })
      expect([claims, result.reasons]).toEqual([claims, ['key-binding-malformed']])
    }
  })

  it('accepts an audience list that names the verifier (RFC 7519 §4.1.3) and a fractional iat', async () => {
    const sdJwt = withoutKb(await present())
    const now = issuedAt + 5_000
    const listed = await rebind(sdJwt, device.privateKey, issuedAt, {
      aud: ['https://other.example', issuerUrl],
    })
    const accepted = await verifier(0)(listed, { now, audience: issuerUrl, nonce: 'nonce-1' })
    expect(accepted).toMatchObject({ valid: true, reasons: [] })
    expect(accepted.keyBinding?.aud).toEqual(['https://other.example', issuerUrl])
    const elsewhere = await verifier(0)(listed, { now, audience: 'https://third.example' })
    expect(elsewhere.reasons).toEqual(['audience-mismatch'])
    const fractional = await rebind(sdJwt, device.privateKey, issuedAt, { iat: issuedAt / 1000 + 0.25 })
    const atFraction = await verifier(0)(fractional, { now, audience: issuerUrl })
    expect(atFraction).toMatchObject({
      valid: true,
      keyBinding: { iat: issuedAt / 1000 + 0.25, ageSeconds: 4.75 },
    })
  })

  it('refuses a KB-JWT signature of the wrong length or with characters outside base64url', async () => {
    const presentation = await present()
    const kbSignature = presentation.slice(presentation.lastIndexOf('.') + 1)
    for (const signature of [
      kbSignature.slice(0, -4),
      `${kbSignature.slice(0, -1)}+`,
      `${kbSignature}AAAA`,
    ]) {
      const result = await verifier(0)(
        `${presentation.slice(0, presentation.lastIndexOf('.') + 1)}${signature}`,
        {
          now: issuedAt,
        },
      )
      expect(result.reasons).toEqual(['key-binding-signature-invalid'])
    }
  })

  it('says status-unavailable for a status list signed by a key not in the JWKS, or naming no kid', async () => {
    const { StatusList, createHeaderAndPayload } = await import('@sd-jwt/jwt-status-list')
    const { SignJWT } = await import('jose')
    const stranger = right(await importIssuerKeys(await generateIssuerKey()))
    const listSignedBy = async (signingKey: CryptoKey, kid: string | undefined) => {
      const { header, payload } = createHeaderAndPayload(
        new StatusList(new Array<number>(16).fill(0), 2),
        { iss: issuerUrl, sub: statusUri, iat: Math.floor(issuedAt / 1000), ttl: 60 },
        { alg: 'EdDSA', typ: 'statuslist+jwt', ...(kid === undefined ? {} : { kid }) },
      )
      return new SignJWT(payload).setProtectedHeader(header).sign(signingKey)
    }
    for (const list of [
      await listSignedBy(stranger.signingKey, stranger.kid),
      await listSignedBy(stranger.signingKey, keys.kid),
      await listSignedBy(keys.signingKey, undefined),
    ]) {
      const result = await verifier(undefined, () => list)(await present(), { now: issuedAt })
      expect(result).toMatchObject({ valid: false, reasons: ['status-unavailable'], status: 'unchecked' })
    }
    const own = await listSignedBy(keys.signingKey, keys.kid)
    expect((await verifier(undefined, () => own)(await present(), { now: issuedAt })).valid).toBe(true)
  })

  it('refuses text that is not a presentation as malformed', async () => {
    for (const text of ['', 'EP1.abc.def', 'not~a~presentation', '@@@.@@@.@@@~']) {
      expect((await verifier(0)(text, { now: issuedAt })).reasons).toEqual(['malformed-presentation'])
    }
  })
})

describe('disclosure property', () => {
  const verifier = verifierOn({ sha256, signatures: nodeSignatureBackend })
  it('no subset of disclosures reveals the licence number unless document_number is chosen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray([...disclosableClaims]), async (chosen) => {
        const presentation = await presentCredential(credential, {
          disclose: chosen,
          deviceKey: device.privateKey,
          algorithm: 'ES256',
          audience: issuerUrl,
          nonce: 'n',
          now: issuedAt,
          sha256,
        })
        const revealed = decodedParts(presentation)
        expect(revealed.includes(view.licenceNumber)).toBe(chosen.includes('document_number'))
        expect(revealed).not.toContain(view.eLicenceId ?? 'none')
        const result = await verifier(0)(presentation, { now: issuedAt })
        expect(result.valid).toBe(true)
        expect(Object.keys(result.disclosed).sort()).toEqual([...chosen].sort())
      }),
      { numRuns: 60 },
    )
  })
})
