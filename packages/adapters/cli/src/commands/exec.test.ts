import { PassThrough, Readable } from 'node:stream'
import { concurrencyConflict, type EventStore, inMemoryEventStore, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { readLines } from '../cli-io.js'
import {
  applyForELicence,
  licenceLifecycle,
  licenceNumberFor,
  ndjson,
  recordLicence,
} from '../fixtures/licence-commands.js'
import { jsonLines, runInProcess } from '../fixtures/run-cli.js'
import { execCommands } from './exec.js'

const exec = (stdin: string, env: Record<string, string> = {}) =>
  runInProcess(['exec', '--store', 'memory:', '-'], stdin, env)

describe('elicence exec', () => {
  it('applies a batch and prints one result per command, in order (exit 0)', async () => {
    const commands = licenceLifecycle(licenceNumberFor(1))
    const run = await exec(ndjson(commands))
    expect(run.exitCode).toBe(0)
    const results = jsonLines(run.stdout)
    expect(results.map(({ line, status, version }) => ({ line, status, version }))).toEqual([
      { line: 1, status: 'applied', version: 0 },
      { line: 2, status: 'applied', version: 1 },
      { line: 3, status: 'applied', version: 2 },
    ])
    expect(results.map((result) => result.commandId)).toEqual(
      commands.map((command) => command.metadata.commandId),
    )
    expect(results[2]).toMatchObject({
      events: [
        { type: 'ELicenceIssued', position: 3, metadata: { hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      ],
    })
  })

  it('reads one pretty-printed command as one document', async () => {
    const run = await exec(JSON.stringify(recordLicence(licenceNumberFor(2)), null, 2))
    expect(run.exitCode).toBe(0)
    expect(jsonLines(run.stdout)).toMatchObject([{ line: 1, status: 'applied', version: 0 }])
  })

  it('reports a re-sent command as replayed, appending nothing (exit 0)', async () => {
    const record = recordLicence(licenceNumberFor(3))
    const run = await exec(ndjson([record, record]))
    expect(run.exitCode).toBe(0)
    expect(jsonLines(run.stdout)).toMatchObject([
      { line: 1, status: 'applied', version: 0 },
      { line: 2, status: 'replayed', version: 0 },
    ])
  })

  it('goes on after a domain refusal and exits 1', async () => {
    const licenceNumber = licenceNumberFor(4)
    const run = await exec(ndjson([applyForELicence(licenceNumber), recordLicence(licenceNumber)]))
    expect(run.exitCode).toBe(1)
    expect(jsonLines(run.stdout)).toMatchObject([
      { line: 1, status: 'refused', error: { code: 'licence-not-found' } },
      { line: 2, status: 'applied', version: 0 },
    ])
  })

  it('reports a line that is not JSON and an invalid command with their paths, and exits 2', async () => {
    const bad = recordLicence('110105194912310021') // wrong check character
    const good = recordLicence(licenceNumberFor(5))
    // The last line names its metadata twice: JSON.parse would keep the last, another reader the first.
    const twice = `${JSON.stringify(recordLicence(licenceNumberFor(7))).slice(0, -1)},"metadata":{}}`
    const stdin = `${JSON.stringify(good)}\n{"type": "RecordLicence",\n\n${JSON.stringify(bad)}\n${twice}\n`
    const run = await exec(stdin)
    expect(run.exitCode).toBe(2)
    const results = jsonLines(run.stdout)
    expect(results).toMatchObject([
      { line: 1, status: 'applied' },
      { line: 2, status: 'invalid', error: { code: 'invalid-command' } },
      {
        line: 4,
        status: 'invalid',
        error: { code: 'invalid-command', issues: [{ path: 'data.licenceNumber' }] },
      },
      {
        line: 5,
        status: 'invalid',
        error: {
          code: 'invalid-command',
          message: expect.stringMatching(/^the member "metadata" appears twice/),
        },
      },
    ])
    expect(results[1]).toMatchObject({ error: { message: expect.stringMatching(/^not JSON: /) } })
  })

  it('gives each line its own result when a broken first line hides NDJSON', async () => {
    const run = await exec(`{"broken":\n${JSON.stringify(recordLicence(licenceNumberFor(6)))}\n`)
    expect(run.exitCode).toBe(2)
    expect(jsonLines(run.stdout)).toMatchObject([
      { line: 1, status: 'invalid' },
      { line: 2, status: 'applied' },
    ])
  })

  it('ranks invalid input (2) above a refusal (1), whatever the order', async () => {
    const refused = applyForELicence(licenceNumberFor(7))
    expect((await exec(ndjson([refused, { type: 'Nonsense' }]))).exitCode).toBe(2)
    expect((await exec(ndjson([{ type: 'Nonsense' }, refused]))).exitCode).toBe(2)
  })

  it('reads the store from ELICENCE_STORE when --store is absent', async () => {
    const run = await runInProcess(['exec'], ndjson([recordLicence(licenceNumberFor(8))]), {
      ELICENCE_STORE: 'memory:',
    })
    expect(run.exitCode).toBe(0)
  })

  it('takes rule 10’s clock skew from --max-clock-skew or ELICENCE_MAX_CLOCK_SKEW_MS (default two minutes)', async () => {
    // The command is stated a minute ahead of the handler's clock.
    const stated = Date.parse(recordLicence(licenceNumberFor(9)).metadata.at)
    const clock = () => new Date(stated - 60_000)
    const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
      runInProcess(
        ['exec', '--store', 'memory:', ...args, '-'],
        ndjson([recordLicence(licenceNumberFor(9))]),
        env,
        clock,
      )
    const statusOf = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
      const done = await run(args, env)
      const [result] = jsonLines(done.stdout)
      return {
        exitCode: done.exitCode,
        status: result?.status,
        code: (result?.error as { readonly code?: string } | undefined)?.code,
      }
    }
    expect(await statusOf([])).toEqual({ exitCode: 0, status: 'applied', code: undefined })
    const refused = { exitCode: 1, status: 'refused', code: 'instant-in-future' }
    expect(await statusOf(['--max-clock-skew', '30000'])).toEqual(refused)
    expect(await statusOf([], { ELICENCE_MAX_CLOCK_SKEW_MS: '0' })).toEqual(refused)
    // The flag wins over the environment.
    expect(await statusOf(['--max-clock-skew', '90000'], { ELICENCE_MAX_CLOCK_SKEW_MS: '0' })).toMatchObject({
      status: 'applied',
    })
    for (const bad of ['soon', '-1', '1.5', '86400001']) {
      const done = await run([`--max-clock-skew=${bad}`])
      expect(done.exitCode, bad).toBe(2)
      expect(done.stderr, bad).toMatch(
        /--max-clock-skew \(or \$ELICENCE_MAX_CLOCK_SKEW_MS\) must be a whole number of milliseconds/,
      )
    }
  })

  it('exits 0 with a note on empty input', async () => {
    const run = await exec('\n\n')
    expect(run).toMatchObject({ exitCode: 0, stdout: '' })
    expect(run.stderr).toMatch(/no commands in standard input/)
  })

  it('refuses bad arguments with usage (exit 2)', async () => {
    for (const argv of [
      ['exec', '--store', 'memory:', '--frobnicate'],
      ['exec', '--store'],
      ['exec', '--store', 'memory:', 'a.ndjson', 'b.ndjson'],
      ['exec'],
    ]) {
      const run = await runInProcess(argv)
      expect(run.exitCode, argv.join(' ')).toBe(2)
      expect(run.stderr, argv.join(' ')).toMatch(/Usage: elicence exec/)
    }
  })

  it('names a bad store URL (exit 2) and a missing file (exit 2)', async () => {
    const badUrl = await runInProcess(['exec', '--store', 'mysql://x'], '{}')
    expect(badUrl.exitCode).toBe(2)
    expect(badUrl.stderr).toMatch(/elicence exec: store URL 'mysql:\/\/x': unknown scheme 'mysql:'/)
    const missing = await runInProcess(['exec', '--store', 'memory:', '/nonexistent/commands.ndjson'])
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/commands\.ndjson/)
  })
})

describe('execCommands against a failing store', () => {
  /** Reads work, appends fail: what a full disk or a lost connection looks like through the port. */
  const failingStore = (): EventStore => {
    // Without its write lock, the handler appends through the failing appendToStream.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    return { ...inner, appendToStream: async () => E.left(storeFailure('disk I/O error')) }
  }

  it('reports the failure on its line and exits 3, above invalid input', async () => {
    const stdout = new PassThrough()
    const chunks: string[] = []
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')))
    const input = ndjson([{ type: 'Nonsense' }, recordLicence(licenceNumberFor(9))])
    const io = { stdin: Readable.from(['']), stdout, stderr: new PassThrough(), env: {} }
    const result = await execCommands(failingStore(), readLines(Readable.from([input])), io)
    expect(result).toEqual({ exitCode: 3, commands: 2 })
    expect(jsonLines(chunks.join(''))).toMatchObject([
      { line: 1, status: 'invalid' },
      { line: 2, status: 'failed', error: { code: 'store-failure', message: 'disk I/O error' } },
    ])
  })

  it('keeps a conflict’s stream and versions on its line', async () => {
    // Without its write lock, the in-memory store takes the optimistic path, which can conflict.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    const racing: EventStore = {
      ...inner,
      appendToStream: async (streamId, expected) => E.left(concurrencyConflict(streamId, expected, 4)),
    }
    const stdout = new PassThrough()
    const chunks: string[] = []
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')))
    const io = { stdin: Readable.from(['']), stdout, stderr: new PassThrough(), env: {} }
    const input = ndjson([recordLicence(licenceNumberFor(10))])
    const result = await execCommands(racing, readLines(Readable.from([input])), io)
    expect(result).toEqual({ exitCode: 3, commands: 1 })
    expect(jsonLines(chunks.join(''))).toMatchObject([
      {
        line: 1,
        status: 'failed',
        error: {
          code: 'concurrency-conflict',
          streamId: `licence-${licenceNumberFor(10)}`,
          expected: 'no-stream',
          actual: 4,
          message: expect.stringMatching(/last expected no-stream, found 4/),
        },
      },
    ])
  })
})
