// Origins and key names that no checkpoint or signature line may carry, refused everywhere they
// enter (exit 2), naming what is wrong: `log checkpoint --origin` with a newline would have the log
// key sign another tree size and root under the real origin, an empty one a checkpoint of no log;
// `keys` would write a key whose service then answers GET /log/checkpoint with 503 for ever, or a
// witness name no note reader accepts; and such a key written before is refused by `serve`.
import { createHash, generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interleavedLifecycles, ndjson } from './fixtures/licence-commands.js'
import { runInProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-log-origins-')
afterAll(files.remove)

const origin = 'licences.example.cn/elicence/log'
const store = `sqlite:${files.path('history.db')}`
const keys = files.path('keys')

beforeAll(async () => {
  expect((await runInProcess(['exec', '--store', store], ndjson(interleavedLifecycles(2)))).exitCode).toBe(0)
  expect((await runInProcess(['keys', '--out', keys, '--origin', origin])).exitCode).toBe(0)
}, 60_000)

/** A log key named `name` as Go writes one, bypassing our checks (as an earlier version wrote it). */
const goSignerKey = (name: string): string => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d ?? '', 'base64url')
  const publicKey = Buffer.from(jwk.x ?? '', 'base64url')
  const keyId = createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), publicKey]))
    .digest()
    .subarray(0, 4)
    .toString('hex')
  return `PRIVATE+KEY+${name}+${keyId}+${Buffer.concat([Buffer.from([1]), seed]).toString('base64')}\n`
}

describe('log checkpoint --origin', () => {
  it('with a newline, empty, or a control character: refused (exit 2), nothing signed', async () => {
    const root = 'A'.repeat(43)
    for (const [given, said] of [
      [`${origin}\n999\n${root}=`, 'it has a line break (U+000A): an origin is one line'],
      ['', 'it is empty'],
      ['ex.example/\u0001log', 'it has a control character (U+0001)'],
      ['ex.example/a log', 'it has a space (U+0020)'],
    ] as const) {
      const run = await runInProcess([
        'log',
        'checkpoint',
        '--store',
        store,
        '--keys',
        keys,
        '--origin',
        given,
      ])
      expect(run.exitCode).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(said)
    }
    // And none was kept either: the store's only checkpoint, signed now, is of its real size.
    const signed = await runInProcess(['log', 'checkpoint', '--store', store, '--keys', keys])
    expect(signed.stdout.split('\n').slice(0, 2)).toEqual([origin, '6'])
  })
})

describe('keys', () => {
  it('refuses an origin or a witness name with a control character (exit 2), writing nothing', async () => {
    const out = files.path('bad-keys')
    const log = await runInProcess(['keys', '--out', out, '--origin', 'ex.example/\u0001log'])
    expect(log.exitCode).toBe(2)
    expect(log.stderr).toContain('--origin "ex.example/\\u0001log": it has a control character (U+0001)')
    const empty = await runInProcess(['keys', '--out', out, '--origin', ''])
    expect(empty.exitCode).toBe(2)
    expect(empty.stderr).toContain('it is empty')
    const witness = await runInProcess(['keys', '--out', out, '--witness', 'w.example/\u0001x'])
    expect(witness.exitCode).toBe(2)
    expect(witness.stderr).toContain('it has a control character (U+0001)')
    expect(existsSync(out)).toBe(false)
  })
})

describe('serve', () => {
  it('refuses a log key whose name no origin may be (exit 2), rather than serve 503s', async () => {
    const old = files.path('old-keys')
    expect((await runInProcess(['keys', '--out', old])).exitCode).toBe(0)
    writeFileSync(`${old}/log.key`, goSignerKey('ex.example/\u0001log'))
    const run = await runInProcess(['serve', '--store', 'memory:', '--keys', old])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('it has a control character (U+0001)')
  })
})

describe('a witness key file named with a control character', () => {
  it('is refused where it is read (exit 2)', async () => {
    const dir = files.path('old-witness')
    mkdirSync(dir)
    // The name is checked before the key's type: a log key's form will do.
    writeFileSync(`${dir}/witness.key`, goSignerKey('w.example/\u0001x'))
    const checkpoint = files.path('checkpoint.txt')
    writeFileSync(
      checkpoint,
      (await runInProcess(['log', 'checkpoint', '--store', store, '--keys', keys])).stdout,
    )
    const run = await runInProcess([
      'witness',
      '--state',
      files.path('state'),
      '--log-key',
      `${keys}/log.vkey`,
      '--key',
      `${dir}/witness.key`,
      checkpoint,
    ])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('it has a control character (U+0001)')
  })
})
