// The files of the transparency log as people handle them, through the built binary: checkpoints
// and keys that were changed on the way (CRLF line endings, a byte-order mark, a second line),
// refused with words that name what is wrong rather than a symptom of it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interleavedLifecycles, ndjson } from './fixtures/licence-commands.js'
import { assertBuildIsFresh, runInProcess, runProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-log-files-')
afterAll(files.remove)

const store = `sqlite:${files.path('history.db')}`
const slashed = 'licences.example.cn/elicence/log'
const underscored = 'licences.example.cn_elicence/log'
const keysOf = (origin: string) => files.path(`keys-${origin === slashed ? 'slashed' : 'underscored'}`)
const witnessKeys = files.path('witness')
const checkpointFiles = { [slashed]: files.path('slashed.txt'), [underscored]: files.path('underscored.txt') }

const witness = (state: string, origin: string, checkpoint: string, ...extra: ReadonlyArray<string>) =>
  runProcess([
    'witness',
    '--state',
    state,
    '--log-key',
    `${keysOf(origin)}/log.vkey`,
    '--key',
    `${witnessKeys}/witness.key`,
    checkpoint,
    ...extra,
  ])

beforeAll(async () => {
  assertBuildIsFresh()
  expect((await runInProcess(['exec', '--store', store], ndjson(interleavedLifecycles(2)))).exitCode).toBe(0)
  expect(
    (await runInProcess(['keys', '--witness', 'witness.example.org', '--out', witnessKeys])).exitCode,
  ).toBe(0)
  for (const origin of [slashed, underscored] as const) {
    expect((await runInProcess(['keys', '--out', keysOf(origin), '--origin', origin])).exitCode).toBe(0)
    const signed = await runInProcess(['log', 'checkpoint', '--store', store, '--keys', keysOf(origin)])
    expect(signed.exitCode, signed.stderr).toBe(0)
    writeFileSync(checkpointFiles[origin], signed.stdout)
  }
}, 60_000)

describe('a checkpoint or key file changed on the way', () => {
  it('with CRLF line endings: the witness refuses it, saying so (exit 1)', async () => {
    const crlf = files.path('crlf.txt')
    writeFileSync(crlf, readFileSync(checkpointFiles[slashed], 'utf8').replaceAll('\n', '\r\n'))
    const run = await witness(files.path('state-crlf'), slashed, crlf)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('CRLF line endings')
    expect(existsSync(files.path('state-crlf'))).toBe(false)
  })

  it('with a byte-order mark: the audit reports it as what is wrong with the checkpoint (exit 1)', async () => {
    const bom = files.path('bom.txt')
    writeFileSync(bom, `\uFEFF${readFileSync(checkpointFiles[slashed], 'utf8')}`)
    const run = await runProcess([
      'audit',
      '--store',
      store,
      '--json',
      '--checkpoint',
      bom,
      '--log-key',
      `${keysOf(slashed)}/log.vkey`,
    ])
    expect(run.exitCode).toBe(1)
    const [anomaly] = (JSON.parse(run.stdout) as { anomalies: Array<{ kind: string; message: string }> })
      .anomalies
    expect(anomaly?.kind).toBe('checkpoint-invalid')
    expect(anomaly?.message).toContain('byte-order mark')
  })

  it('a log key file of two lines: refused as more than one line (exit 2)', async () => {
    const twoLines = files.path('two-lines.vkey')
    const key = readFileSync(`${keysOf(slashed)}/log.vkey`, 'utf8')
    writeFileSync(twoLines, `${key}${key}`)
    const run = await runProcess([
      'witness',
      '--state',
      files.path('state-two-lines'),
      '--log-key',
      twoLines,
      '--key',
      `${witnessKeys}/witness.key`,
      checkpointFiles[slashed],
    ])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('more than one line')
  })
})
