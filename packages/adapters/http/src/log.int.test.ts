// The transparency log's routes over a real listening server, every response checked against the
// OpenAPI document: a checkpoint that opens with the log key and has the root of the events' tree,
// proofs that verify against it, no token needed, and bad queries refused with a 400 naming them.

import {
  fromBase64,
  generateNoteKey,
  inMemoryReadModelStore,
  leafHash,
  noteKeyTypes,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  rootOfLeafHashes,
  transparencyLog,
  verifyConsistency,
  verifyInclusion,
} from '@elicence/projections'
import { nodeSha256 } from '@elicence/projections/node'
import { isRight } from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyCommand,
  otherLicenceNumber,
  recordLicenceCommand,
  sendCommand,
  startTestServer,
  type TestServer,
  testTokens as tokens,
} from './test-support/test-server.js'

const hexBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'))
const base64Bytes = (text: string) => fromBase64(text) as Uint8Array

describe('the transparency log over HTTP', () => {
  let running: TestServer
  let verifier: Awaited<ReturnType<typeof parseVerifierKey>>
  beforeAll(async () => {
    const keys = await generateNoteKey('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    if (!isRight(keys)) throw new Error(keys.left)
    const signer = await parseSignerKey(keys.right.signerKey)
    if (!isRight(signer)) throw new Error(signer.left)
    verifier = await parseVerifierKey(keys.right.verifierKey)
    running = await startTestServer({ log: { signer: signer.right, checkpointIntervalMs: 0 } })
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    await sendCommand(running, tokens.registry, recordLicenceCommand(otherLicenceNumber, 'acct-other'))
    await sendCommand(running, tokens.holder, applyCommand())
  })
  afterAll(async () => {
    await running.app.close()
  })

  const eventHashes = async (): Promise<Uint8Array[]> => {
    const page = await running.store.readAll({ after: 0, limit: 1000 })
    if (!isRight(page)) throw new Error(page.left.message)
    return page.right.events.map((event) => leafHash(nodeSha256, hexBytes(event.metadata.hash)))
  }

  it('serves a signed checkpoint of every event so far, as text, to anyone', async () => {
    const response = await running.api.request('GET', '/log/checkpoint')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    if (!isRight(verifier)) throw new Error(verifier.left)
    const opened = await openCheckpoint(response.body as string, verifier.right)
    if (!isRight(opened)) throw new Error(opened.left)
    const leaves = await eventHashes()
    expect(opened.right.size).toBe(leaves.length)
    expect(opened.right.root).toEqual(rootOfLeafHashes(nodeSha256, leaves))
  })

  it('signs a new checkpoint once the tree grew, and proves the new leaf and the growth', async () => {
    const first = await running.api.request('GET', '/log/checkpoint')
    if (!isRight(verifier)) throw new Error(verifier.left)
    const before = await openCheckpoint(first.body as string, verifier.right)
    await sendCommand(running, tokens.otherHolder, applyCommand(otherLicenceNumber))
    const second = await running.api.request('GET', '/log/checkpoint')
    const after = await openCheckpoint(second.body as string, verifier.right)
    if (!isRight(before) || !isRight(after)) throw new Error('checkpoints do not open')
    expect(after.right.size).toBeGreaterThan(before.right.size)
    const leaves = await eventHashes()

    const index = after.right.size - 1
    const inclusion = await running.api.request(
      'GET',
      `/log/proof/inclusion?index=${index}&size=${after.right.size}`,
    )
    expect(inclusion.status).toBe(200)
    expect(inclusion.body).toMatchObject({ treeSize: after.right.size, leafIndex: index })
    expect(
      verifyInclusion(
        nodeSha256,
        index,
        after.right.size,
        leaves[index] as Uint8Array,
        (inclusion.body.hashes as string[]).map(base64Bytes),
        after.right.root,
      ),
    ).toBe(true)

    const consistency = await running.api.request(
      'GET',
      `/log/proof/consistency?from=${before.right.size}&to=${after.right.size}`,
    )
    expect(consistency.status).toBe(200)
    expect(
      verifyConsistency(
        nodeSha256,
        before.right.size,
        after.right.size,
        (consistency.body.hashes as string[]).map(base64Bytes),
        before.right.root,
        after.right.root,
      ),
    ).toBe(true)
  })

  it.each([
    ['/log/proof/inclusion?index=1', 'query.size'],
    ['/log/proof/inclusion?index=-1&size=2', 'query.index'],
    ['/log/proof/inclusion?index=1.5&size=2', 'query.index'],
    ['/log/proof/inclusion?index=0&size=1e3', 'query.size'],
    ['/log/proof/consistency?from=1', 'query.to'],
    ['/log/proof/consistency?from=x&to=2', 'query.from'],
  ])('refuses %s with a 400 naming %s', async (path, issue) => {
    const response = await running.api.request('GET', path)
    expect(response.status).toBe(400)
    expect(response.body.error.code).toBe('invalid-request')
    expect(response.body.error.issues.map((found: { path: string }) => found.path)).toContain(issue)
  })

  it.each([
    '/log/proof/inclusion?index=0&size=9007199254740992',
    `/log/proof/consistency?from=0&to=${'9'.repeat(30)}`,
  ])('refuses %s, past 2^53 − 1 (the documented maximum), saying so', async (path) => {
    const response = await running.api.request('GET', path)
    expect(response.status).toBe(400)
    expect(response.body.error.issues[0].message).toBe('expected at most 9007199254740991 (2^53 − 1)')
  })

  it.each([
    '/log/proof/inclusion?index=5&size=5',
    '/log/proof/inclusion?index=0&size=1000',
    '/log/proof/consistency?from=3&to=2',
    '/log/proof/consistency?from=0&to=1000',
  ])('refuses %s, beyond the tree, with a 400 saying so', async (path) => {
    const response = await running.api.request('GET', path)
    expect(response.status).toBe(400)
    expect(response.body.error.message).toMatch(/tree|size/)
  })
})

describe('the service signing checkpoints in the background', () => {
  it('signs a new checkpoint once the tree grew, without being asked, and keeps every one', async () => {
    const keys = await generateNoteKey('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    if (!isRight(keys)) throw new Error(keys.left)
    const signer = await parseSignerKey(keys.right.signerKey)
    if (!isRight(signer)) throw new Error(signer.left)
    const readModels = inMemoryReadModelStore()
    const running = await startTestServer({
      log: { signer: signer.right, checkpointIntervalMs: 50 },
      readModels,
    })
    const log = transparencyLog({ events: running.store, readModels, sha256: nodeSha256 })
    const sizes = async () => {
      const stored = await log.checkpoints()
      return isRight(stored) ? stored.right.map((checkpoint) => checkpoint.size) : []
    }
    const until = async (wanted: ReadonlyArray<number>) => {
      for (
        let waited = 0;
        waited < 10_000 && JSON.stringify(await sizes()) !== JSON.stringify(wanted);
        waited += 25
      )
        await new Promise((resolve) => setTimeout(resolve, 25))
      return sizes()
    }
    try {
      await sendCommand(running, tokens.registry, recordLicenceCommand())
      expect(await until([1])).toEqual([1])
      await sendCommand(running, tokens.holder, applyCommand())
      expect(await until([1, 2])).toEqual([1, 2])
    } finally {
      await running.app.close()
    }
  })
})

describe("a log's origin that no checkpoint may have", () => {
  it('is refused when the server is made, not answered with 503 for ever', async () => {
    const keys = await generateNoteKey('licences.example.cn/elicence/log', noteKeyTypes.ed25519)
    if (!isRight(keys)) throw new Error(keys.left)
    const signer = await parseSignerKey(keys.right.signerKey)
    if (!isRight(signer)) throw new Error(signer.left)
    for (const [origin, said] of [
      ['licences.example.cn/elicence/log\n999\nAAAA', 'an origin is one line'],
      ['', 'it is empty'],
      ['ex.example/\u0001log', 'control character (U+0001)'],
    ] as const)
      await expect(startTestServer({ log: { signer: signer.right, origin } })).rejects.toThrow(said)
  })
})
