// The service keeps every checkpoint signed over its store (DESIGN §9), and publishes only its own:
// a note that `elicence log checkpoint` signs for another origin, or with another key, is kept
// beside the service's, never in its place, and `GET /log/checkpoint` of the built binary's
// `serve` on that store still gives the note its own log key signed for its own origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interleavedLifecycles, ndjson } from './fixtures/licence-commands.js'
import { assertBuildIsFresh, runInProcess, runProcess, serveProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-log-signers-')
afterAll(files.remove)

const origin = 'licences.example.cn/elicence/log'
const store = `sqlite:${files.path('history.db')}`
const keys = files.path('keys')
const otherKeys = files.path('other-keys')

beforeAll(async () => {
  assertBuildIsFresh()
  expect((await runInProcess(['exec', '--store', store], ndjson(interleavedLifecycles(2)))).exitCode).toBe(0)
  for (const out of [keys, otherKeys])
    expect((await runInProcess(['keys', '--out', out, '--origin', origin])).exitCode).toBe(0)
}, 60_000)

/** `GET /log/checkpoint` of `elicence serve` on the store with `keys`, as the binary answers it. */
const servedCheckpoint = async (): Promise<string> => {
  const served = await serveProcess(['--store', store, '--data', files.path('data'), '--keys', keys])
  try {
    const response = await fetch(`${served.url}/log/checkpoint`)
    expect(response.status).toBe(200)
    return await response.text()
  } finally {
    await served.stop()
  }
}

describe('checkpoints of another origin or key in the service store', () => {
  it('are kept beside the service’s own, which alone is published', async () => {
    const own = await runProcess(['log', 'checkpoint', '--store', store, '--keys', keys])
    expect(own.exitCode, own.stderr).toBe(0)
    expect(own.stdout.startsWith(`${origin}\n6\n`)).toBe(true)

    const foreignOrigin = await runProcess([
      'log',
      'checkpoint',
      '--store',
      store,
      '--keys',
      keys,
      '--origin',
      'other.example/log',
    ])
    expect(foreignOrigin.exitCode, foreignOrigin.stderr).toBe(0)
    expect(foreignOrigin.stdout.startsWith('other.example/log\n6\n')).toBe(true)
    // Another log's key of the same name: a note of the same text with another signature.
    const foreignKey = await runProcess(['log', 'checkpoint', '--store', store, '--keys', otherKeys])
    expect(foreignKey.exitCode, foreignKey.stderr).toBe(0)
    expect(foreignKey.stdout).not.toBe(own.stdout)

    // The same tree is not signed again: each signer gets back what it signed and was kept.
    expect((await runProcess(['log', 'checkpoint', '--store', store, '--keys', keys])).stdout).toBe(
      own.stdout,
    )
    expect((await runProcess(['log', 'checkpoint', '--store', store, '--keys', otherKeys])).stdout).toBe(
      foreignKey.stdout,
    )
    expect(await servedCheckpoint()).toBe(own.stdout)
  })
})
