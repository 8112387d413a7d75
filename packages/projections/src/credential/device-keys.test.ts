// The device key cache on its own (a counting backend: what is imported, kept, evicted) and inside
// the presentation checker, where it must change no verdict: a key is kept only for a credential
// whose issuer signature verified, and a kept key still checks every KB-JWT's signature.
import { createHash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { nodeSignatureBackend } from '../node/signatures.js'
import { decodeHistory, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceView, eLicenceView } from '../views/e-licence.js'
import { foldView } from '../views/view.js'
import { defaultDisclosures } from './claims.js'
import { deviceKeyCache } from './device-keys.js'
import { HolderKey } from './holder-key.js'
import { credentialIssuer } from './issue.js'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from './issuer-keys.js'
import type { SignatureBackend } from './jws.js'
import { presentCredential } from './present.js'
import { presentationChecker } from './presentation-checks.js'

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}

/** node's backend, counting the keys it imports; a JWK whose `x` is 'bad' does not import. */
const countingBackend = (): SignatureBackend & { readonly imports: () => number } => {
  let imports = 0
  return {
    importKey: (jwk, algorithm) => {
      imports++
      if (jwk.x === 'bad') throw new Error('not a key')
      return nodeSignatureBackend.importKey(jwk, algorithm)
    },
    verify: nodeSignatureBackend.verify,
    imports: () => imports,
  }
}

const p256 = async (): Promise<CryptoKeyPair> =>
  (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair

const publicJwk = async (pair: CryptoKeyPair): Promise<JWK> => {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  return { kty, crv, x, y } as JWK
}

/** Lets the `keep` of a lookup settle (it waits for the import). */
const settled = () => new Promise((resolve) => setImmediate(resolve))

describe('deviceKeyCache', () => {
  it('imports a JWK once it is kept, and hands back the same key for the same JWK', async () => {
    const backend = countingBackend()
    const cache = deviceKeyCache(backend, 8)
    const jwk = await publicJwk(await p256())
    const first = cache.lookup(jwk, 'ES256')
    const key = await first.key
    expect(key).toBeDefined()
    // Not kept yet: a second lookup imports again.
    await cache.lookup(jwk, 'ES256').key
    expect(backend.imports()).toBe(2)
    first.keep()
    await settled()
    expect(cache.size()).toBe(1)
    expect(await cache.lookup({ ...jwk }, 'ES256').key).toBe(key)
    expect(backend.imports()).toBe(2)
  })

  it('tells apart JWKs that differ in any member, and the same JWK for another algorithm', async () => {
    const backend = countingBackend()
    const cache = deviceKeyCache(backend, 8)
    const jwk = await publicJwk(await p256())
    const kept = cache.lookup(jwk, 'ES256')
    kept.keep()
    await kept.key
    await settled()
    const withMember = cache.lookup({ ...jwk, alg: 'ES256' }, 'ES256')
    const otherAlgorithm = cache.lookup(jwk, 'EdDSA')
    expect(await withMember.key).toBeDefined()
    // node refuses a P-256 JWK as an EdDSA key: a lookup never answers with a key of another kind.
    expect(await otherAlgorithm.key).toBeUndefined()
    expect(backend.imports()).toBe(3)
  })

  it('never keeps a JWK that does not import', async () => {
    const backend = countingBackend()
    const cache = deviceKeyCache(backend, 8)
    const bad = { kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad' }
    const lookup = cache.lookup(bad, 'ES256')
    lookup.keep()
    expect(await lookup.key).toBeUndefined()
    await settled()
    expect(cache.size()).toBe(0)
    expect(await cache.lookup(bad, 'ES256').key).toBeUndefined()
    expect(backend.imports()).toBe(2)
  })

  it('keeps at most its size, the least recently used key leaving first', async () => {
    const backend = countingBackend()
    const cache = deviceKeyCache(backend, 2)
    const jwks = await Promise.all([1, 2, 3].map(async () => publicJwk(await p256())))
    const keep = async (jwk: JWK) => {
      const lookup = cache.lookup(jwk, 'ES256')
      lookup.keep()
      await lookup.key
      await settled()
    }
    await keep(jwks[0] as JWK)
    await keep(jwks[1] as JWK)
    // A hit on the first makes the second the least recently used.
    await cache.lookup(jwks[0] as JWK, 'ES256').key
    await keep(jwks[2] as JWK)
    expect(cache.size()).toBe(2)
    expect(backend.imports()).toBe(3)
    await cache.lookup(jwks[0] as JWK, 'ES256').key
    await cache.lookup(jwks[2] as JWK, 'ES256').key
    expect(backend.imports()).toBe(3)
    await cache.lookup(jwks[1] as JWK, 'ES256').key
    expect(backend.imports()).toBe(4)
  })

  it('keeps nothing with size 0, and refuses a size that is no count', async () => {
    const backend = countingBackend()
    const cache = deviceKeyCache(backend, 0)
    const jwk = await publicJwk(await p256())
    const lookup = cache.lookup(jwk, 'ES256')
    lookup.keep()
    await lookup.key
    await settled()
    expect(cache.size()).toBe(0)
    expect(() => deviceKeyCache(backend, -1)).toThrow(/non-negative integer/)
    expect(() => deviceKeyCache(backend, 1.5)).toThrow(/non-negative integer/)
  })
})

describe('the presentation checker with its device key cache', () => {
  const issuer = 'https://elicence.example'
  const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
  let keys: IssuerKeys
  let view: ELicenceView
  let issuedAt: number

  beforeAll(async () => {
    keys = right(await importIssuerKeys(await generateIssuerKey()))
    const { events } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [
        { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
        { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
      ],
    })
    view = foldView(eLicenceView, decodeHistory(events)) as ELicenceView
    issuedAt = Date.parse(view.updatedAt) + 60_000
  })

  const credentialFor = async (device: CryptoKeyPair) =>
    credentialIssuer({ keys, issuer, sha256 })(view, {
      holderKey: right(HolderKey.decode(await publicJwk(device))),
      status: { idx: 1, uri: `${issuer}/status-lists/1` },
      now: issuedAt,
    })
  const present = (credential: string, key: CryptoKey, nonce: string) =>
    presentCredential(credential, {
      disclose: defaultDisclosures,
      deviceKey: key,
      algorithm: 'ES256',
      audience: issuer,
      nonce,
      now: issuedAt,
      sha256,
    })

  it('imports a credential’s device key once over its presentations, and still checks each KB-JWT', async () => {
    const backend = countingBackend()
    const check = presentationChecker({ jwks: keys.jwks, issuer, sha256, signatures: backend })
    const device = await p256()
    const credential = await credentialFor(device)
    const imported = () => backend.imports() - keys.jwks.keys.length
    for (const nonce of ['n-1', 'n-2', 'n-3']) {
      const { verification } = await check(await present(credential, device.privateKey, nonce), {
        now: issuedAt,
        nonce,
      })
      expect(verification.reasons).toEqual([])
    }
    expect(imported()).toBe(1)
    // The kept key is the credential's: a KB-JWT signed by any other key is still refused.
    const thief = await p256()
    const { verification } = await check(await present(credential, thief.privateKey, 'n-4'), {
      now: issuedAt,
    })
    expect(verification.reasons).toEqual(['key-binding-signature-invalid'])
    expect(imported()).toBe(1)
  })

  it('keeps no device key of a presentation whose issuer signature fails', async () => {
    const backend = countingBackend()
    const check = presentationChecker({ jwks: keys.jwks, issuer, sha256, signatures: backend })
    const device = await p256()
    const [jwt = '', ...rest] = (await present(await credentialFor(device), device.privateKey, 'n')).split(
      '~',
    )
    const [header, payload, signature = ''] = jwt.split('.')
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`
    const forged = [[header, payload, flipped].join('.'), ...rest].join('~')
    for (let round = 0; round < 2; round++) {
      const { verification } = await check(forged, { now: issuedAt })
      expect(verification.reasons).toContain('issuer-signature-invalid')
    }
    expect(backend.imports() - keys.jwks.keys.length).toBe(2)
  })
})
