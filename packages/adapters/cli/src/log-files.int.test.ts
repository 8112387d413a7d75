// The files of the transparency log as people handle them, through the built binary: a witness's
// state, one file per log, for origins that an earlier naming mapped to one file; and checkpoints
// and keys that were changed on the way (CRLF line endings, a byte-order mark, a second line),
// refused with words that name what is wrong rather than a symptom of it.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  interleavedLifecycles,
  licenceLifecycle,
  licenceNumberFor,
  ndjson,
} from './fixtures/licence-commands.js'
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

describe("a witness's state", () => {
  it('is one file per log: two origins that read alike are both cosigned, neither blocks the other', async () => {
    const state = files.path('state-two-logs')
    for (const origin of [slashed, underscored] as const) {
      const run = await witness(state, origin, checkpointFiles[origin])
      expect(run.exitCode, run.stderr).toBe(0)
    }
    expect(readdirSync(state)).toHaveLength(2)
    // And each is that log's state: the same checkpoints again are accepted as already seen.
    for (const origin of [slashed, underscored] as const)
      expect((await witness(state, origin, checkpointFiles[origin])).exitCode).toBe(0)
  })

  it('kept under the earlier name is still read as that log’s, and not as another’s', async () => {
    const state = files.path('state-earlier')
    const first = await witness(files.path('state-scratch'), slashed, checkpointFiles[slashed])
    expect(first.exitCode, first.stderr).toBe(0)
    // What an earlier version wrote: the origin with every character but [A-Za-z0-9.-] as `_`.
    mkdirSync(state)
    writeFileSync(`${state}/licences.example.cn_elicence_log.checkpoint`, first.stdout)
    // The underscored log shares that name, but the file is not its state: trusted on first use.
    const other = await witness(state, underscored, checkpointFiles[underscored])
    expect(other.exitCode, other.stderr).toBe(0)
    // The slashed log's state is read from it: a grown tree needs a proof from the size seen.
    const grownStore = files.path('grown.db')
    copyFileSync(files.path('history.db'), grownStore)
    const more = ndjson(licenceLifecycle(licenceNumberFor(9)))
    expect((await runInProcess(['exec', '--store', `sqlite:${grownStore}`], more)).exitCode).toBe(0)
    const grown = await runInProcess([
      'log',
      'checkpoint',
      '--store',
      `sqlite:${grownStore}`,
      '--keys',
      keysOf(slashed),
    ])
    expect(grown.exitCode, grown.stderr).toBe(0)
    const grownFile = files.path('grown.txt')
    writeFileSync(grownFile, grown.stdout)
    const withoutProof = await witness(state, slashed, grownFile)
    expect(withoutProof.exitCode).toBe(1)
    expect(withoutProof.stderr).toContain('a consistency proof from 6 to 9 is needed')
    const proof = files.path('proof.json')
    writeFileSync(
      proof,
      (await runInProcess(['log', 'prove', '--store', `sqlite:${grownStore}`, '--from', '6', '--to', '9']))
        .stdout,
    )
    expect((await witness(state, slashed, grownFile, '--proof', proof)).exitCode).toBe(0)
  })
})

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
