// node:crypto's signature backends (on the calling thread, and on libuv's pool) agree with Web
// Crypto's on signatures made by Web Crypto (a browser's device key, the issuer's key), and import
// only keys of the algorithm's own curve.
import { base64url, exportJWK, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { type JwsAlgorithm, jwsSignatureValid, webCryptoSignatureBackend } from '../credential/jws.js'
import { nodeSignatureBackend, nodeThreadPoolSignatureBackend } from './signatures.js'

const params = {
  ES256: { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
} as const

const signedJws = async (algorithm: JwsAlgorithm) => {
  const pair = (await crypto.subtle.generateKey(params[algorithm].generate, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const header = { alg: algorithm, typ: 'kb+jwt' }
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode('{"iat":1}')}`
  const signature = await crypto.subtle.sign(
    params[algorithm].sign,
    pair.privateKey,
    new TextEncoder().encode(input),
  )
  return {
    jwk: await exportJWK(pair.publicKey),
    header,
    jws: `${input}.${base64url.encode(new Uint8Array(signature))}`,
  }
}

/** The import as the verifier awaits it: a refusal thrown at once or a rejected promise alike. */
const imported = (jwk: JWK, algorithm: JwsAlgorithm) =>
  Promise.resolve().then(() => nodeSignatureBackend.importKey(jwk, algorithm))

describe.each(['ES256', 'EdDSA'] as const)('nodeSignatureBackend with %s', (algorithm) => {
  it('verifies what Web Crypto verifies, and refuses an altered payload or signature', async () => {
    const { jwk, header, jws } = await signedJws(algorithm)
    const node = await nodeSignatureBackend.importKey(jwk, algorithm)
    const pooled = await nodeThreadPoolSignatureBackend.importKey(jwk, algorithm)
    const web = await webCryptoSignatureBackend.importKey(jwk, algorithm)
    const [head, body, signature = ''] = jws.split('.')
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`
    for (const [text, valid] of [
      [jws, true],
      [`${head}.${base64url.encode('{"iat":2}')}.${signature}`, false],
      [`${head}.${body}.${flipped}`, false],
      [`${head}.${body}.${signature.slice(0, -2)}`, false],
    ] as const) {
      expect(await jwsSignatureValid(nodeSignatureBackend, text, header, algorithm, node)).toBe(valid)
      expect(await jwsSignatureValid(nodeThreadPoolSignatureBackend, text, header, algorithm, pooled)).toBe(
        valid,
      )
      expect(await jwsSignatureValid(webCryptoSignatureBackend, text, header, algorithm, web)).toBe(valid)
    }
  })

  it('does not import a key of the other algorithm, nor a point off the curve', async () => {
    const other: JwsAlgorithm = algorithm === 'ES256' ? 'EdDSA' : 'ES256'
    const { jwk } = await signedJws(other)
    await expect(imported(jwk, algorithm)).rejects.toThrow()
    if (algorithm === 'ES256') {
      const { jwk: own } = await signedJws('ES256')
      const y = base64url.decode(own.y ?? '')
      y[31] = (y[31] ?? 0) ^ 1
      const offCurve: JWK = { ...own, y: base64url.encode(y) }
      await expect(imported(offCurve, 'ES256')).rejects.toThrow()
    }
  })
})
