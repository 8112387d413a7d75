// Keys and tokens from configuration: `elicence keys` writes a key set in one command, and
// `elicence serve --tokens FILE --keys DIR` runs on them instead of dev credentials.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { calculateJwkThumbprint } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuildIsFresh, runInProcess, runProcess, serveProcess } from '../fixtures/run-cli.js'
import { temporaryFiles } from '../fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-keys-')
afterAll(files.remove)
beforeAll(assertBuildIsFresh)

const auditorToken = 'auditor-token-0123456789abcdef'
const tokensFile = files.path('tokens.json')
writeFileSync(tokensFile, JSON.stringify({ [auditorToken]: { role: 'auditor', id: 'audit-office-1' } }))

describe('elicence keys', () => {
  it('writes the issuer key with its thumbprint kid, owner-only, and never overwrites it', async () => {
    const out = files.path('keys')
    const first = await runInProcess(['keys', '--out', out])
    expect(first.exitCode).toBe(0)
    expect(statSync(`${out}/issuer-key.jwk`).mode & 0o777).toBe(0o600)
    const jwk = JSON.parse(readFileSync(`${out}/issuer-key.jwk`, 'utf8'))
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(jwk.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }))
    expect(first.stdout).toContain(`kid ${jwk.kid}`)
    const again = await runInProcess(['keys', '--out', out])
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toMatch(/already exists; not overwritten/)
    expect(JSON.parse(readFileSync(`${out}/issuer-key.jwk`, 'utf8'))).toEqual(jwk)
  })

  it('refuses a file given as the folder to write to (exit 2), leaving it as it was', async () => {
    const notAFolder = files.path('not-a-folder')
    writeFileSync(notAFolder, 'kept\n')
    const refused = await runInProcess(['keys', '--out', notAFolder])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(/--out .*not-a-folder is a file, not a directory/)
    expect(readFileSync(notAFolder, 'utf8')).toBe('kept\n')
  })

  it('rotates: the retired key stays listed, the new one signs', async () => {
    const out = files.path('rotated')
    expect((await runInProcess(['keys', '--out', out, '--rotate'])).exitCode).toBe(2)
    expect((await runInProcess(['keys', '--out', out])).exitCode).toBe(0)
    const old = JSON.parse(readFileSync(`${out}/issuer-key.jwk`, 'utf8'))
    expect((await runInProcess(['keys', '--out', out, '--rotate'])).exitCode).toBe(0)
    const current = JSON.parse(readFileSync(`${out}/issuer-key.jwk`, 'utf8'))
    expect(current.kid).not.toBe(old.kid)
    const previous = JSON.parse(readFileSync(`${out}/previous-issuer-keys.json`, 'utf8'))
    expect(previous.keys.map((key: { kid: string }) => key.kid)).toEqual([old.kid])
    expect(previous.keys[0].d).toBeUndefined()
  })

  it("writes the log's key and its verifier key string; a folder from before the log gets the log's alone", async () => {
    const out = files.path('log-keys')
    expect(
      (await runInProcess(['keys', '--out', out, '--public-url', 'https://licences.example.cn:8443/x']))
        .exitCode,
    ).toBe(0)
    expect(statSync(`${out}/log.key`).mode & 0o777).toBe(0o600)
    expect(readFileSync(`${out}/log.key`, 'utf8')).toMatch(
      /^PRIVATE\+KEY\+licences\.example\.cn:8443\/elicence\/log\+[0-9a-f]{8}\+\S+\n$/,
    )
    expect(readFileSync(`${out}/log.vkey`, 'utf8')).toMatch(
      /^licences\.example\.cn:8443\/elicence\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n$/,
    )
    const issuer = readFileSync(`${out}/issuer-key.jwk`, 'utf8')
    rmSync(`${out}/log.key`)
    rmSync(`${out}/log.vkey`)
    const again = await runInProcess(['keys', '--out', out, '--origin', 'licences.example.cn/elicence/log'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toBe(`${out}/log.key\n${out}/log.vkey\n`)
    expect(readFileSync(`${out}/issuer-key.jwk`, 'utf8')).toBe(issuer)
    expect(readFileSync(`${out}/log.vkey`, 'utf8')).toMatch(/^licences\.example\.cn\/elicence\/log\+/)
  })
})

describe('a public URL that is no http(s) URL', () => {
  it('is refused by keys as by serve (exit 2), with the same words, and no key is written', async () => {
    const out = files.path('not-a-url')
    const keys = await runProcess(['keys', '--out', out, '--public-url', 'notaurl'])
    expect(keys.exitCode).toBe(2)
    expect(keys.stderr).toContain('public URL "notaurl" is not an http(s) URL')
    expect(existsSync(`${out}/log.key`)).toBe(false)
    const fromEnvironment = await runProcess(['keys', '--out', out], '', { ELICENCE_PUBLIC_URL: 'notaurl' })
    expect(fromEnvironment.exitCode).toBe(2)
    expect(fromEnvironment.stderr).toContain('public URL "notaurl" is not an http(s) URL')
    expect(existsSync(`${out}/log.key`)).toBe(false)
    const serve = await runProcess(['serve', '--store', 'memory:', '--data', out, '--public-url', 'notaurl'])
    expect(serve.exitCode).toBe(2)
    expect(serve.stderr).toContain('public URL "notaurl" is not an http(s) URL')
    // A witness key or a given origin names no log by the public URL: the environment's is not read.
    const witness = await runProcess(['keys', '--witness', 'w.example.org', '--out', out], '', {
      ELICENCE_PUBLIC_URL: 'notaurl',
    })
    expect(witness.exitCode, witness.stderr).toBe(0)
  })
})

describe('elicence serve --tokens --keys', () => {
  it('serves with the configured tokens and keys, printing no dev tokens', async () => {
    const keys = files.path('serve-keys')
    expect((await runInProcess(['keys', '--out', keys])).exitCode).toBe(0)
    const { url, banner, stop } = await serveProcess([
      '--store',
      'memory:',
      '--data',
      files.path('data'),
      '--tokens',
      tokensFile,
      '--keys',
      keys,
      '--public-url',
      'https://elicence.example/',
    ])
    try {
      expect(banner).not.toMatch(/dev tokens/)
      const asAuditor = await fetch(`${url}/review-queue`, {
        headers: { authorization: `Bearer ${auditorToken}` },
      })
      expect(asAuditor.status).toBe(200)
      const unknown = await fetch(`${url}/review-queue`, {
        headers: { authorization: 'Bearer not-a-configured-token' },
      })
      expect(unknown.status).toBe(401)
      // The configured key is the one published, under the configured public URL.
      const metadata = await (await fetch(`${url}/.well-known/jwt-vc-issuer`)).json()
      const jwk = JSON.parse(readFileSync(`${keys}/issuer-key.jwk`, 'utf8'))
      expect(metadata).toEqual({
        issuer: 'https://elicence.example',
        jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig' }] },
      })
    } finally {
      expect(await stop()).toBe(0)
    }
  })
  it('refuses a missing key folder and a token table with a guessable token (exit 2)', async () => {
    const missing = await runInProcess(['serve', '--store', 'memory:', '--keys', files.path('nowhere')])
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toMatch(/issuer-key\.jwk: no such file/)
    const weak = files.path('weak.json')
    writeFileSync(weak, JSON.stringify({ short: { role: 'auditor', id: 'a' } }))
    const refused = await runInProcess(['serve', '--store', 'memory:', '--tokens', weak])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(/shorter than 16 characters/)
  })
})
