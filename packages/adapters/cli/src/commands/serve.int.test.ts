// `elicence serve --credential-workers N` (or $ELICENCE_CREDENTIAL_WORKERS): the built binary
// serves with credentials issued and presentations checked on worker threads, says so, and a
// holder's presentation verifies through them, again and again with no credential cache
// ($ELICENCE_CREDENTIAL_CACHE 0); a count that is no whole number of threads, or of device keys,
// is a usage error (exit 2) naming the option.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { defaultDisclosures, presentCredential } from '@elicence/projections'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuildIsFresh, builtBinary, runInProcess } from '../fixtures/run-cli.js'
import { temporaryFiles } from '../fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-serve-')
afterAll(files.remove)
beforeAll(assertBuildIsFresh)

describe('elicence serve --credential-workers', () => {
  it('issues and verifies on worker threads, and says so', async () => {
    const data = files.path('data')
    const child = spawn(
      process.execPath,
      [builtBinary, 'serve', '--store', 'memory:', '--data', data, '--demo'],
      {
        env: {
          PATH: process.env.PATH,
          PORT: '0',
          LOG_LEVEL: 'silent',
          ELICENCE_CREDENTIAL_WORKERS: '2',
          ELICENCE_CREDENTIAL_CACHE: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let banner = ''
    const [url, licenceNumber] = await new Promise<[string, string]>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        banner += chunk.toString('utf8')
        const served = /serving on (http:\/\/[^ ]+)/.exec(banner)?.[1]
        const licence = /#licence=([^&]+)&/.exec(banner)?.[1]
        if (served !== undefined && licence !== undefined) resolve([served, licence])
      })
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${banner}`)))
    })
    try {
      expect(banner).toMatch(/credentials on 2 worker threads/)
      const { tokens } = JSON.parse(readFileSync(`${data}/dev-tokens.json`, 'utf8'))
      const device = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
      ])) as CryptoKeyPair
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', device.publicKey)
      const issued = await fetch(`${url}/licences/${licenceNumber}/credentials`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.holder}`, 'content-type': 'application/json' },
        body: JSON.stringify({ holderKey: { kty, crv, x, y } }),
      })
      expect(issued.status).toBe(201)
      const { credential } = (await issued.json()) as { credential: string }
      const presentation = await presentCredential(credential, {
        disclose: defaultDisclosures,
        deviceKey: device.privateKey,
        algorithm: 'ES256',
        audience: url,
        nonce: 'serve-workers',
        now: Date.now(),
      })
      const checked = await fetch(`${url}/presentations/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.verifier}`, 'content-type': 'application/json' },
        body: JSON.stringify({ presentation, nonce: 'serve-workers' }),
      })
      expect(checked.status).toBe(200)
      expect(await checked.json()).toMatchObject({ valid: true, reasons: [], status: 'valid' })
      const again = await fetch(`${url}/presentations/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.verifier}`, 'content-type': 'application/json' },
        body: JSON.stringify({ presentation, nonce: 'serve-workers' }),
      })
      expect(await again.json()).toMatchObject({ valid: true, reasons: [], status: 'valid' })
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })

  it('refuses a count that is no whole number of threads from 0 to 64 (exit 2)', async () => {
    for (const [args, env] of [
      [['--credential-workers', 'two'], {}],
      [['--credential-workers=-1'], {}],
      [['--credential-workers', '65'], {}],
      [[], { ELICENCE_CREDENTIAL_WORKERS: '1.5' }],
    ] as const) {
      const refused = await runInProcess(['serve', '--store', 'memory:', ...args], '', env)
      expect(refused.exitCode).toBe(2)
      expect(refused.stderr).toMatch(
        /--credential-workers \(or \$ELICENCE_CREDENTIAL_WORKERS\) must be a whole number of threads from 0 to 64/,
      )
    }
  })

  it('refuses a credential cache size that is no whole number (exit 2)', async () => {
    for (const [args, env] of [
      [['--credential-cache', 'many'], {}],
      [['--credential-cache=-1'], {}],
      [['--credential-cache', '1e3'], {}],
      [['--credential-cache', '99999999999999999999'], {}],
      [[], { ELICENCE_CREDENTIAL_CACHE: '2.5' }],
    ] as const) {
      const refused = await runInProcess(['serve', '--store', 'memory:', ...args], '', env)
      expect(refused.exitCode).toBe(2)
      expect(refused.stderr).toMatch(
        /--credential-cache \(or \$ELICENCE_CREDENTIAL_CACHE\) must be a whole number of credentials, 0 or more \(0 keeps none\), got "/,
      )
    }
  })
})
