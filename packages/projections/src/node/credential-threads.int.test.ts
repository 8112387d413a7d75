// Credentials and presentations on real worker threads: the same verdicts as `presentationVerifier`
// on the calling thread (valid, stale, tampered, malformed, with every status), credentials with the
// claims `credentialIssuer` gives, and the failure modes — a worker that exits or hangs fails the
// tasks it held with why, and the next task runs on a new worker; closed threads refuse.
import { createHash } from 'node:crypto'
import { createHeaderAndPayload, StatusList } from '@sd-jwt/jwt-status-list'
import * as E from 'fp-ts/lib/Either.js'
import { base64url, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultDisclosures } from '../credential/claims.js'
import { HolderKey } from '../credential/holder-key.js'
import { credentialIssuer } from '../credential/issue.js'
import { issuedLicence, p256DeviceKey } from '../credential/issued-licence.fixture.js'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from '../credential/issuer-keys.js'
import { presentCredential } from '../credential/present.js'
import { presentationVerifier } from '../credential/verify.js'
import type { ELicenceView } from '../views/e-licence.js'
import { type CredentialThreads, credentialThreads } from './credential-threads.js'
import { nodeSignatureBackend } from './signatures.js'

// The workers run this workspace's TypeScript sources, like the tests, through module hooks.
const hooks = new URL('../../../adapters/sqlite/src/typescript-hooks.fixture.mjs', import.meta.url).href
const execArgv = [
  '--conditions=@elicence/source',
  '--import',
  `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hooks)})`)}`,
]
const failingWorker = new URL('./credential-worker-failing.fixture.ts', import.meta.url)

const issuer = 'https://elicence.example'
const statusUri = `${issuer}/status-lists/1`
const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}

let keys: IssuerKeys
let device: CryptoKeyPair
let credential: string
let issuedAt: number
const lists = new Map<number, string>()
const opened: CredentialThreads[] = []
let view: ELicenceView

let statusCode = 0

const threaded = (options: { readonly deadlineMs?: number; readonly failing?: boolean } = {}) => {
  const threads = credentialThreads({
    jwks: keys.jwks,
    keys,
    issuer,
    // One thread: each worker started from the sources loads them through the hooks, which is slow.
    threads: 1,
    execArgv,
    statusList: async () => E.right(lists.get(statusCode) ?? ''),
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...(options.failing === true ? { workerUrl: failingWorker } : {}),
  })
  opened.push(threads)
  return threads
}

const present = (at = issuedAt) =>
  presentCredential(credential, {
    disclose: defaultDisclosures,
    deviceKey: device.privateKey,
    algorithm: 'ES256',
    audience: issuer,
    nonce: 'n-1',
    now: at,
    sha256,
  })

beforeAll(async () => {
  keys = right(await importIssuerKeys(await generateIssuerKey()))
  ;({ view, issuedAt } = await issuedLicence())
  device = await p256DeviceKey()
  const holderKey = right(HolderKey.decode(await crypto.subtle.exportKey('jwk', device.publicKey)))
  credential = await credentialIssuer({ keys, issuer, sha256 })(view, {
    holderKey,
    status: { idx: 3, uri: statusUri },
    now: issuedAt,
  })
  for (const code of [0, 1, 2]) {
    const list = new StatusList(new Array<number>(16).fill(0), 2)
    list.setStatus(3, code)
    const iat = Math.floor(issuedAt / 1000)
    const { header, payload } = createHeaderAndPayload(
      list,
      { iss: issuer, sub: statusUri, iat, exp: iat + 86_400, ttl: 60 },
      { alg: 'EdDSA', typ: 'statuslist+jwt', kid: keys.kid },
    )
    lists.set(code, await new SignJWT(payload).setProtectedHeader(header).sign(keys.signingKey))
  }
})

afterAll(async () => {
  await Promise.all(opened.map((threads) => threads.close()))
})

describe('credentialThreads', () => {
  it('issues the credential credentialIssuer does, which the verifier on the calling thread accepts', async () => {
    const threads = threaded()
    const holderKey = right(HolderKey.decode(await crypto.subtle.exportKey('jwk', device.publicKey)))
    const request = { holderKey, status: { idx: 3, uri: statusUri }, now: issuedAt }
    const [made, inline] = await Promise.all([
      threads.issue(view, request),
      credentialIssuer({ keys, issuer, sha256 })(view, request),
    ])
    // Salts differ; what each disclosure says and every signed claim but the digests do not.
    const claimsOf = (text: string) => {
      const [jwt = '', ...disclosures] = text.split('~')
      const { _sd, ...signed } = JSON.parse(
        new TextDecoder().decode(base64url.decode(jwt.split('.')[1] ?? '')),
      )
      const disclosed = disclosures
        .filter((part) => part !== '')
        .map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))).slice(1))
      return {
        signed,
        digests: _sd.length,
        disclosed: disclosed.sort((a: string[], b: string[]) => (a[0] ?? '').localeCompare(b[0] ?? '')),
      }
    }
    expect(claimsOf(made)).toEqual(claimsOf(inline))
    const presented = await presentCredential(made, {
      disclose: defaultDisclosures,
      deviceKey: device.privateKey,
      algorithm: 'ES256',
      audience: issuer,
      nonce: 'n-1',
      now: issuedAt,
      sha256,
    })
    statusCode = 0
    const verified = await presentationVerifier({
      jwks: keys.jwks,
      issuer,
      sha256,
      statusList: async () => E.right(lists.get(0) ?? ''),
    })(presented, { now: issuedAt })
    expect(verified).toMatchObject({ valid: true, status: 'valid' })
  })

  it('gives the verdicts of presentationVerifier, with the status looked up on the calling thread', async () => {
    const fresh = await present()
    const [jwt = '', ...rest] = fresh.split('~')
    const [header, payload, signature] = jwt.split('.')
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? '')))
    const tampered = [
      `${header}.${base64url.encode(JSON.stringify({ ...claims, exp: 1 }))}.${signature}`,
      ...rest,
    ].join('~')
    const threads = threaded()
    const inline = presentationVerifier({
      jwks: keys.jwks,
      issuer,
      sha256,
      signatures: nodeSignatureBackend,
      statusList: async () => E.right(lists.get(statusCode) ?? ''),
    })
    for (const code of [0, 1, 2]) {
      statusCode = code
      for (const [text, check] of [
        [fresh, { now: issuedAt + 5_000, nonce: 'n-1', audience: issuer }],
        [fresh, { now: issuedAt + 120_000, nonce: 'n-2' }],
        [tampered, { now: issuedAt }],
        ['not a presentation', { now: issuedAt }],
      ] as const) {
        const [ours, theirs] = await Promise.all([threads.verify(text, check), inline(text, check)])
        expect(ours).toEqual(theirs)
      }
    }
    statusCode = 0
    expect(await threads.verify(fresh, { now: issuedAt })).toMatchObject({ valid: true, status: 'valid' })
  })

  it('answers each task of one batch (all sent in one turn) with its own outcome, a bad presentation among good ones', async () => {
    const fresh = await present()
    const [jwt = '', ...rest] = fresh.split('~')
    const [header, payload] = jwt.split('.')
    // A signature the issuer never made (which the KB-JWT's sd_hash no longer covers either).
    const forged = [`${header}.${payload}.${base64url.encode(new Uint8Array(64))}`, ...rest].join('~')
    const holderKey = right(HolderKey.decode(await crypto.subtle.exportKey('jwk', device.publicKey)))
    const threads = threaded()
    statusCode = 0
    await threads.verify(fresh, { now: issuedAt }) // the worker started, so the next ones share one message
    const inline = presentationVerifier({
      jwks: keys.jwks,
      issuer,
      sha256,
      signatures: nodeSignatureBackend,
      statusList: async () => E.right(lists.get(0) ?? ''),
    })
    const tasks = [
      [fresh, { now: issuedAt }],
      [forged, { now: issuedAt }],
      [fresh, { now: issuedAt, nonce: 'n-1' }],
      ['not a presentation', { now: issuedAt }],
      [fresh, { now: issuedAt + 120_000 }],
      [fresh, { now: issuedAt, audience: issuer }],
    ] as const
    const [issued, ...verdicts] = await Promise.all([
      threads.issue(view, { holderKey, status: { idx: 3, uri: statusUri }, now: issuedAt }),
      ...tasks.map(([text, check]) => threads.verify(text, check)),
    ])
    for (const [index, [text, check]] of tasks.entries())
      expect(verdicts[index]).toEqual(await inline(text, check))
    expect(verdicts.map((verdict) => verdict.valid)).toEqual([true, false, true, false, false, true])
    expect(verdicts[1]?.reasons).toEqual(['issuer-signature-invalid', 'key-binding-sd-hash-mismatch'])
    expect(issued.split('~').length).toBeGreaterThan(2)
  })

  it('fails the checks a worker held when it exits or hangs past the deadline, and goes on with a new worker', async () => {
    statusCode = 0
    const threads = threaded({ failing: true, deadlineMs: 2_000 })
    // Started and warm: the deadline then measures checks, not the worker's start.
    expect(await threads.verify(await present(), { now: issuedAt })).toMatchObject({ valid: true })
    // Both sent in one turn, so the second is held by the worker that exits: a presentation made
    // between them (an await) let the worker exit first, under load, and the second went to a new one.
    const presentation = await present()
    const [exited, held] = await Promise.allSettled([
      threads.verify('exit', { now: issuedAt }),
      threads.verify(presentation, { now: issuedAt }),
    ])
    expect(exited).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/exited \(3\)/) },
    })
    expect(held).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/exited \(3\)/) },
    })
    expect(await threads.verify(await present(), { now: issuedAt })).toMatchObject({ valid: true })
    await expect(threads.verify('hang', { now: issuedAt })).rejects.toThrow(/longer than 2000 ms/)
    // Issuing runs on the new worker too.
    const holderKey = right(HolderKey.decode(await crypto.subtle.exportKey('jwk', device.publicKey)))
    expect(
      await threads.issue(view, { holderKey, status: { idx: 3, uri: statusUri }, now: issuedAt }),
    ).toMatch(/~$/)
    expect(await threads.verify(await present(), { now: issuedAt })).toMatchObject({ valid: true })
  })

  it('refuses tasks once closed, a thread count below one and a credential cache size that is no count', async () => {
    const threads = threaded()
    await threads.close()
    await expect(threads.verify(await present(), { now: issuedAt })).rejects.toThrow(/closed/)
    expect(() => credentialThreads({ jwks: keys.jwks, keys, issuer, threads: 0 })).toThrow(/positive integer/)
    for (const credentialCacheSize of [-1, 2.5, Number.NaN])
      expect(() =>
        credentialThreads({ jwks: keys.jwks, keys, issuer, threads: 1, credentialCacheSize }),
      ).toThrow(/credential cache size must be a non-negative integer \(0 keeps none\), got/)
  })
})
