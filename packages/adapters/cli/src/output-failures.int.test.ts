// The built binary when its standard output fails under it: a full disk (/dev/full: every write
// fails with ENOSPC) is exit 3 with a sentence on stderr for every verb, never a stack trace or an
// exit status that reads as a verdict; a reader that stops early is no failure of a verb that only
// reports (`export | head`), but stops `exec`, which says so and exits 3, and its file run again
// applies the rest. An import interrupted while it copies standard input aside leaves no copy.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, openSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceLifecycle, licenceNumberFor, ndjson } from './fixtures/licence-commands.js'
import { assertBuildIsFresh, builtBinary, jsonLines, outcomeOf, runProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-output-')
afterAll(files.remove)
const store = `sqlite:${files.path('output.db')}`
const licences = Array.from({ length: 200 }, (_, index) => licenceNumberFor(500 + index))
const commands = licences.flatMap((licenceNumber) => licenceLifecycle(licenceNumber))

beforeAll(async () => {
  assertBuildIsFresh()
  const seeded = await runProcess(['exec', '--store', store, '-'], ndjson(commands.slice(0, 3)))
  expect(seeded.exitCode).toBe(0)
})

/** A child that exits before reading all its input closes the pipe under us: that is no failure here. */
const ignoringClosedInput = (child: ChildProcess): ChildProcess => {
  child.stdin?.on('error', () => undefined)
  return child
}

/** The binary with its standard output on a file or device of our choosing. */
const runWithStdoutOn = (path: string, argv: ReadonlyArray<string>, stdin = '') => {
  const child = ignoringClosedInput(
    spawn(process.execPath, [builtBinary, ...argv], {
      env: { PATH: process.env.PATH },
      stdio: ['pipe', openSync(path, 'w'), 'pipe'],
    }),
  )
  const outcome = outcomeOf(child)
  child.stdin?.end(stdin)
  return outcome
}

describe('standard output on a full disk (/dev/full)', () => {
  it.each([
    ['view', ['view', '--store', store, licences[0] as string]],
    ['verify', ['verify', '--store', store, licences[0] as string]],
    ['export', ['export', '--store', store]],
    ['audit', ['audit', '--store', store]],
    ['--help', ['--help']],
  ])('%s: exit 3, saying it cannot write, no stack trace', async (_verb, argv) => {
    const run = await runWithStdoutOn('/dev/full', argv)
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toMatch(/cannot write to standard output: ENOSPC/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('exec: exit 3, and says the commands after may not have run', async () => {
    const run = await runWithStdoutOn(
      '/dev/full',
      ['exec', '--store', store, '-'],
      ndjson(commands.slice(3, 9)),
    )
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toMatch(
      /cannot write to standard output: ENOSPC.*may not have run: run the same commands again/,
    )
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('a reader that stops early', () => {
  /** The binary with its output read up to the first line, then the pipe closed. */
  const readFirstLine = (argv: ReadonlyArray<string>, stdin = '') =>
    new Promise<{ exitCode: number | null; stderr: string; first: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [builtBinary, ...argv], {
        env: { PATH: process.env.PATH },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      ignoringClosedInput(child)
      let first = ''
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8')
      })
      child.stdout.on('data', (chunk: Buffer) => {
        if (first !== '') return
        first = chunk.toString('utf8').split('\n')[0] ?? ''
        child.stdout.destroy()
      })
      child.on('error', reject)
      child.on('close', (exitCode) => resolve({ exitCode, stderr, first }))
      child.stdin.end(stdin)
    })

  it('export | head -n 1: leaves quietly with the status it had', async () => {
    const run = await readFirstLine(['export', '--store', store])
    expect(JSON.parse(run.first)).toMatchObject({ type: 'LicenceRecorded' })
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toBe('')
  })

  it('exec | head -n 1: stops, says so and exits 3; run again, the rest is applied', async () => {
    const file = ndjson(commands.slice(9))
    const run = await readFirstLine(['exec', '--store', store, '-'], file)
    expect(JSON.parse(run.first)).toMatchObject({ line: 1, status: 'applied' })
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toMatch(/standard output was closed before every outcome was written/)
    const again = await runProcess(['exec', '--store', store, '-'], file)
    expect(again.exitCode).toBe(0)
    const statuses = jsonLines(again.stdout).map((result) => result.status)
    expect(statuses.length).toBe(commands.length - 9)
    expect(statuses[0]).toBe('replayed')
    expect(statuses.at(-1)).toBe('applied')
  })
})

describe('an import from standard input interrupted', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'by %s: removes its copy of the history, says where the store stands, exits %i',
    async (signal, code) => {
      const exported = await runProcess(['export', '--store', store])
      expect(exported.exitCode).toBe(0)
      const temporary = files.path(`tmp-${signal}`)
      mkdirSync(temporary)
      const child = spawn(
        process.execPath,
        [builtBinary, 'import', '--store', `sqlite:${files.path(`import-${signal}.db`)}`, '-'],
        {
          env: { PATH: process.env.PATH, TMPDIR: temporary },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      )
      ignoringClosedInput(child)
      const outcome = outcomeOf(child)
      // Half the history sent and standard input left open: the import is copying it aside.
      child.stdin.write(exported.stdout.slice(0, exported.stdout.length / 2))
      const copying = async (): Promise<void> => {
        for (let waited = 0; waited < 10_000; waited += 20) {
          const copies = readdirSync(temporary).flatMap((directory) =>
            readdirSync(join(temporary, directory)),
          )
          if (copies.includes('history.ndjson')) return
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        throw new Error('the import made no copy of standard input')
      }
      await copying()
      child.kill(signal)
      const run = await outcome
      expect(run.exitCode).toBe(code)
      expect(run.stderr).toMatch(
        new RegExp(
          `interrupted \\(${signal}\\): the store keeps the events written so far; run the same import again`,
        ),
      )
      expect(readdirSync(temporary)).toEqual([])
    },
  )
})
