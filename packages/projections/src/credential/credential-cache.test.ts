// The presentation checker's credential cache (credential-cache.ts), by a counting backend (what is
// imported and verified) and against the checker that keeps nothing: it must change no verdict.
// A part is kept only once it passed every check of its own, a kept part still has every KB-JWT
// signature checked with its credential's key, and `exp` read against each check's clock.
import { createHash } from 'node:crypto'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { nodeSignatureBackend } from '../node/signatures.js'
import type { ELicenceView } from '../views/e-licence.js'
import { type DisclosableClaim, defaultDisclosures, disclosableClaims } from './claims.js'
import { credentialCacheSizeProblem } from './credential-cache.js'
import { HolderKey } from './holder-key.js'
import { credentialIssuer } from './issue.js'
import { issuedLicence, p256DeviceKey } from './issued-licence.fixture.js'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from './issuer-keys.js'
import type { SignatureBackend } from './jws.js'
import { presentCredential } from './present.js'
import { presentationChecker } from './presentation-checks.js'

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}

/** node's backend, counting the keys it imports and the signatures it checks, by algorithm. */
const countingBackend = () => {
  const counts = { imports: 0, EdDSA: 0, ES256: 0 }
  const backend: SignatureBackend = {
    importKey: (jwk, algorithm) => {
      counts.imports++
      return nodeSignatureBackend.importKey(jwk, algorithm)
    },
    verify: (algorithm, key, signingInput, signature) => {
      counts[algorithm]++
      return nodeSignatureBackend.verify(algorithm, key, signingInput, signature)
    },
  }
  return { backend, counts }
}

const publicJwk = async (pair: CryptoKeyPair): Promise<JWK> => {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  return { kty, crv, x, y } as JWK
}

describe('the presentation checker’s credential cache', () => {
  const issuer = 'https://elicence.example'
  const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
  let keys: IssuerKeys
  let view: ELicenceView
  let issuedAt: number

  beforeAll(async () => {
    keys = right(await importIssuerKeys(await generateIssuerKey()))
    ;({ view, issuedAt } = await issuedLicence())
  })

  const credentialFor = async (device: CryptoKeyPair) =>
    credentialIssuer({ keys, issuer, sha256 })(view, {
      holderKey: right(HolderKey.decode(await publicJwk(device))),
      status: { idx: 1, uri: `${issuer}/status-lists/1` },
      now: issuedAt,
    })
  const present = (
    credential: string,
    key: CryptoKey,
    nonce: string,
    disclose: ReadonlyArray<DisclosableClaim> = defaultDisclosures,
  ) =>
    presentCredential(credential, {
      disclose,
      deviceKey: key,
      algorithm: 'ES256',
      audience: issuer,
      nonce,
      now: issuedAt,
      sha256,
    })
  /** The presentation with its issuer signature's next-to-last character changed. */
  const withIssuerSignatureFlipped = (presentation: string) => {
    const [jwt = '', ...rest] = presentation.split('~')
    const [header, payload, signature = ''] = jwt.split('.')
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`
    return [[header, payload, flipped].join('.'), ...rest].join('~')
  }
  /** The presentation with a disclosure that no digest names, before its KB-JWT. */
  const withStrayDisclosure = (presentation: string) => {
    const cut = presentation.lastIndexOf('~')
    const stray = Buffer.from(JSON.stringify(['salt', 'masked_name', '李*'])).toString('base64url')
    return `${presentation.slice(0, cut + 1)}${stray}~${presentation.slice(cut + 1)}`
  }

  it('checks the issuer signature and imports the device key once over a credential’s presentations, and every KB-JWT each time', async () => {
    const { backend, counts } = countingBackend()
    const check = presentationChecker({ jwks: keys.jwks, issuer, sha256, signatures: backend })
    const device = await p256DeviceKey()
    const credential = await credentialFor(device)
    const issuerKeyImports = keys.jwks.keys.length
    for (const nonce of ['n-1', 'n-2', 'n-3']) {
      const { verification } = await check(await present(credential, device.privateKey, nonce), {
        now: issuedAt,
        nonce,
      })
      expect(verification).toMatchObject({ valid: true, reasons: [] })
      expect(verification.disclosed).toHaveProperty('masked_name')
    }
    expect(counts).toEqual({ imports: issuerKeyImports + 1, EdDSA: 1, ES256: 3 })
    // The kept part's key is the credential's: a KB-JWT signed by any other key is still refused.
    const thief = await p256DeviceKey()
    const stolen = await check(await present(credential, thief.privateKey, 'n-4'), { now: issuedAt })
    expect(stolen.verification.reasons).toEqual(['key-binding-signature-invalid'])
    // `exp` is read against each check's clock, kept part or not.
    const late = await check(await present(credential, device.privateKey, 'n-5'), {
      now: issuedAt + 400 * 24 * 3600 * 1000,
    })
    expect(late.verification.reasons).toContain('credential-expired')
    // Other disclosures are another part, checked whole once.
    await check(await present(credential, device.privateKey, 'n-6', ['masked_name']), { now: issuedAt })
    expect(counts).toEqual({ imports: issuerKeyImports + 2, EdDSA: 2, ES256: 6 })
  })

  it('keeps no part whose issuer signature fails, or with a disclosure the issuer did not sign', async () => {
    const { backend, counts } = countingBackend()
    const check = presentationChecker({ jwks: keys.jwks, issuer, sha256, signatures: backend })
    const device = await p256DeviceKey()
    const presentation = await present(await credentialFor(device), device.privateKey, 'n')
    for (const [forged, reason] of [
      [withIssuerSignatureFlipped(presentation), 'issuer-signature-invalid'],
      [withStrayDisclosure(presentation), 'unreferenced-disclosure'],
    ] as const)
      for (let round = 0; round < 2; round++) {
        const { verification } = await check(forged, { now: issuedAt })
        expect(verification.reasons).toContain(reason)
        expect(verification.disclosed).toEqual({})
      }
    expect(counts.EdDSA).toBe(4)
  })

  it('keeps at most its size, the least recently used part leaving first, and none with size 0', async () => {
    const devices = await Promise.all([1, 2, 3].map(() => p256DeviceKey()))
    const presentations = await Promise.all(
      devices.map(async (device) => present(await credentialFor(device), device.privateKey, 'n')),
    )
    const issuerChecks = async (size: number, order: ReadonlyArray<number>) => {
      const { backend, counts } = countingBackend()
      const check = presentationChecker({
        jwks: keys.jwks,
        issuer,
        sha256,
        signatures: backend,
        credentialCacheSize: size,
      })
      for (const index of order) await check(presentations[index] as string, { now: issuedAt })
      return counts.EdDSA
    }
    // 0, 1, then 0 again (a hit: 1 is now the least recently used), 2 (1 leaves), 0 and 2 hit, 1 misses.
    expect(await issuerChecks(2, [0, 1, 0, 2, 0, 2, 1])).toBe(4)
    expect(await issuerChecks(0, [0, 0, 0])).toBe(3)
  })

  it('hands out kept claims frozen, so no caller changes another’s verification', async () => {
    const check = presentationChecker({ jwks: keys.jwks, issuer, sha256, signatures: nodeSignatureBackend })
    const device = await p256DeviceKey()
    const presentation = await present(await credentialFor(device), device.privateKey, 'n')
    const first = await check(presentation, { now: issuedAt })
    const claims = first.verification.disclosed as Record<string, unknown>
    expect(() => {
      claims.masked_name = '王*'
    }).toThrow(TypeError)
    expect(Object.isFrozen(claims.driving_privileges)).toBe(true)
    expect(Object.isFrozen((claims.driving_privileges as unknown[])[0])).toBe(true)
    const again = await check(presentation, { now: issuedAt })
    expect(again.verification.disclosed).toEqual(first.verification.disclosed)
  })

  it('refuses a size that is no count, by name', () => {
    for (const size of [-1, 1.5, Number.NaN]) {
      expect(credentialCacheSizeProblem(size)).toMatch(/non-negative integer \(0 keeps none\)/)
      expect(() => presentationChecker({ jwks: keys.jwks, credentialCacheSize: size })).toThrow(
        /credential cache size must be a non-negative integer/,
      )
    }
    expect(credentialCacheSizeProblem(undefined)).toBeUndefined()
    expect(credentialCacheSizeProblem(0)).toBeUndefined()
  })

  it('gives every sequence of presentations, sound and forged, the verdicts of the checker that keeps nothing', async () => {
    const devices = await Promise.all([1, 2].map(() => p256DeviceKey()))
    const credentials = await Promise.all(devices.map((device) => credentialFor(device)))
    const thief = await p256DeviceKey()
    // A pool of presentations of both credentials: sound ones over several disclosures and nonces,
    // and forgeries (another device key, a flipped issuer signature, a stray disclosure, no KB-JWT).
    const pool: string[] = []
    for (const [index, credential] of credentials.entries()) {
      const device = devices[index] as CryptoKeyPair
      for (const [nonce, disclose] of [
        ['a', defaultDisclosures],
        ['b', defaultDisclosures],
        ['a', ['masked_name'] as const],
        ['b', [...disclosableClaims]],
      ] as const) {
        const sound = await present(credential, device.privateKey, nonce, disclose)
        pool.push(
          sound,
          withIssuerSignatureFlipped(sound),
          withStrayDisclosure(sound),
          sound.slice(0, sound.lastIndexOf('~') + 1),
        )
      }
      pool.push(await present(credential, thief.privateKey, 'a'))
    }
    const checkers = (size: number) =>
      presentationChecker({
        jwks: keys.jwks,
        issuer,
        sha256,
        signatures: nodeSignatureBackend,
        credentialCacheSize: size,
      })
    const day = 24 * 3600 * 1000
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            presentation: fc.nat({ max: pool.length - 1 }),
            // Fresh, stale, and past the credential's expiry.
            after: fc.constantFrom(0, 30_000, 120_000, 400 * day),
            nonce: fc.constantFrom(undefined, 'a', 'b'),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        async (size, steps) => {
          const keeping = checkers(size)
          const keepingNothing = checkers(0)
          for (const step of steps) {
            const presentation = pool[step.presentation] as string
            const check = {
              now: issuedAt + step.after,
              ...(step.nonce === undefined ? {} : { nonce: step.nonce }),
            }
            expect(await keeping(presentation, check)).toEqual(await keepingNothing(presentation, check))
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
