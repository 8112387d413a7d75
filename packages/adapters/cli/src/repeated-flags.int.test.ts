// A flag given twice is refused (exit 2), naming it, instead of the last value silently winning:
// `audit --checkpoint A --checkpoint B` would audit against B alone and miss a fork that A shows.
// Only a flag documented as repeatable (`audit --witness-key FILE …`) takes a value each time.
// The named cases through the built binary, and every verb's `--store` through `main`.
import { existsSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interleavedLifecycles, ndjson } from './fixtures/licence-commands.js'
import { assertBuildIsFresh, runInProcess, runProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'
import { commands } from './main.js'

const files = temporaryFiles('elicence-cli-repeated-flags-')
afterAll(files.remove)

const store = `sqlite:${files.path('history.db')}`
const history = files.path('history.ndjson')
const keys = files.path('keys')
const checkpoint = files.path('checkpoint.txt')
const witnesses = [files.path('witness-1'), files.path('witness-2')]

beforeAll(async () => {
  assertBuildIsFresh()
  expect((await runInProcess(['exec', '--store', store], ndjson(interleavedLifecycles(2)))).exitCode).toBe(0)
  writeFileSync(history, (await runInProcess(['export', '--store', store])).stdout)
  expect((await runInProcess(['keys', '--out', keys, '--origin', 'example.cn/elicence/log'])).exitCode).toBe(
    0,
  )
  const signed = await runInProcess(['log', 'checkpoint', '--store', store, '--keys', keys])
  expect(signed.exitCode, signed.stderr).toBe(0)
  writeFileSync(checkpoint, signed.stdout)
  for (const [index, out] of witnesses.entries())
    expect((await runInProcess(['keys', '--witness', `w${index}.example.org`, '--out', out])).exitCode).toBe(
      0,
    )
}, 60_000)

describe('a flag given twice', () => {
  it.each([
    [
      'checkpoint',
      [
        'audit',
        '--history',
        history,
        '--log-key',
        `${keys}/log.vkey`,
        '--checkpoint',
        checkpoint,
        '--checkpoint',
        checkpoint,
      ],
    ],
    ['history', ['audit', '--history', history, '--history', history]],
    ['index', ['log', 'prove', '--store', store, '--index', '3', '--index', '4']],
    [
      'store',
      ['exec', '--store', `sqlite:${files.path('x.db')}`, '--store', `sqlite:${files.path('y.db')}`, '-'],
    ],
  ])('--%s is refused by the binary (exit 2), naming it', async (flag, argv) => {
    const run = await runProcess(argv, ndjson(interleavedLifecycles(1)))
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`--${flag} is given twice`)
    expect(run.stdout).toBe('')
    expect(existsSync(files.path('x.db'))).toBe(false)
    expect(existsSync(files.path('y.db'))).toBe(false)
  })

  it.each(commands.map((command) => command.name))(
    '%s refuses --store twice, also given as --store=URL (exit 2)',
    async (verb) => {
      const run = await runInProcess([verb, '--store', 'memory:', `--store=sqlite:${files.path('z.db')}`])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('--store is given twice')
      expect(existsSync(files.path('z.db'))).toBe(false)
    },
  )

  it('refuses a switch given twice too', async () => {
    const run = await runInProcess(['audit', '--history', history, '--json', '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--json is given twice')
  })

  it('takes --witness-key, which is repeatable, more than once', async () => {
    const run = await runProcess([
      'audit',
      '--history',
      history,
      '--checkpoint',
      checkpoint,
      '--log-key',
      `${keys}/log.vkey`,
      '--json',
      ...witnesses.flatMap((out) => ['--witness-key', `${out}/witness.vkey`]),
    ])
    // The audit runs: the checkpoint has neither witness's cosignature, an anomaly (exit 1) for each.
    expect(run.stderr).not.toContain('given twice')
    expect(run.exitCode).toBe(1)
    const anomalies = (JSON.parse(run.stdout) as { anomalies: Array<{ message: string }> }).anomalies
    const messages = anomalies.map((anomaly) => anomaly.message).join('\n')
    expect(messages).toContain('w0.example.org')
    expect(messages).toContain('w1.example.org')
  })
})
