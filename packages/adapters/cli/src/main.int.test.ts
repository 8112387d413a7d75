// The built `elicence` binary in real child processes against real SQLite files: exit codes,
// stdout and stderr as a shell sees them. Needs `pnpm exec tsc -b` first (checked, not assumed).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lifecycleHistory } from './fixtures/history-text.js'
import {
  applyForELicence,
  licenceLifecycle,
  licenceNumberFor,
  ndjson,
  recordLicence,
} from './fixtures/licence-commands.js'
import { assertBuildIsFresh, jsonLines, runProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-binary-')
afterAll(files.remove)
const sqlite = (name: string) => `sqlite:${files.path(name)}`

beforeAll(assertBuildIsFresh)

describe('elicence exec (built binary)', () => {
  it('exits 0 when every command applies, printing one result per line', async () => {
    const commands = [...licenceLifecycle(licenceNumberFor(41)), ...licenceLifecycle(licenceNumberFor(42))]
    const run = await runProcess(['exec', '--store', sqlite('exec.db'), '-'], ndjson(commands))
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const results = jsonLines(run.stdout)
    expect(results.map(({ line, status }) => `${line}:${status}`)).toEqual([
      '1:applied',
      '2:applied',
      '3:applied',
      '4:applied',
      '5:applied',
      '6:applied',
    ])
    expect(results.map((result) => result.commandId)).toEqual(
      commands.map((command) => command.metadata.commandId),
    )
  })

  it('exits 1 on a domain refusal, and the other commands still apply', async () => {
    const licenceNumber = licenceNumberFor(43)
    const run = await runProcess(
      ['exec', '--store', sqlite('exec.db')],
      ndjson([
        recordLicence(licenceNumber),
        applyForELicence(licenceNumber, 'someone-else'),
        applyForELicence(licenceNumber),
      ]),
    )
    expect(run.exitCode).toBe(1)
    expect(jsonLines(run.stdout)).toMatchObject([
      { line: 1, status: 'applied' },
      { line: 2, status: 'refused', error: { code: 'not-licence-holder' } },
      { line: 3, status: 'applied' },
    ])
  })

  it('exits 2 on invalid input, listing the failing paths', async () => {
    const run = await runProcess(
      ['exec', '--store', sqlite('exec.db')],
      `${JSON.stringify({ ...recordLicence(licenceNumberFor(44)), data: { classes: ['Z9'] } })}\n`,
    )
    expect(run.exitCode).toBe(2)
    expect(jsonLines(run.stdout)).toMatchObject([
      {
        line: 1,
        status: 'invalid',
        error: {
          code: 'invalid-command',
          issues: expect.arrayContaining([
            expect.objectContaining({ path: 'data.licenceNumber' }),
            expect.objectContaining({ path: 'data.classes.0' }),
          ]),
        },
      },
    ])
  })

  it('exits 3 when the store fails: a file that is not a SQLite database', async () => {
    writeFileSync(files.path('not-a-database.db'), 'this is not a database, just text '.repeat(200))
    const run = await runProcess(
      ['exec', '--store', sqlite('not-a-database.db')],
      ndjson([recordLicence(licenceNumberFor(45))]),
    )
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toMatch(/elicence exec: sqlite: cannot open .*not-a-database\.db/)
  })

  it('exits 2 with a clear message on a bad store URL', async () => {
    for (const [url, message] of [
      ['./data.db', /no scheme; .* for a SQLite file write sqlite:\.\/data\.db/],
      ['mongodb://localhost/elicence', /unknown scheme 'mongodb:'/],
      ['sqlite:', /sqlite: needs a file path/],
      ['postgres://app:hunter2@db:not-a-port/elicence', /not a valid PostgreSQL URL/],
    ] as const) {
      const run = await runProcess(['exec', '--store', url], '{}')
      expect(run.exitCode, url).toBe(2)
      expect(run.stderr, url).toMatch(message)
      expect(run.stderr, url).not.toContain('hunter2')
    }
  })
})

describe('elicence export | import (built binary)', () => {
  let history = ''

  beforeAll(async () => {
    const commands = ndjson([1, 2, 3, 4, 5].flatMap((seed) => licenceLifecycle(licenceNumberFor(50 + seed))))
    expect((await runProcess(['exec', '--store', sqlite('source.db')], commands)).exitCode).toBe(0)
    const exported = await runProcess(['export', '--store', sqlite('source.db')])
    expect(exported.exitCode).toBe(0)
    history = exported.stdout
  })

  it('round-trips into a fresh SQLite file: the same events, hashes and global order', async () => {
    writeFileSync(files.path('history.ndjson'), history)
    const imported = await runProcess(['import', '--store', sqlite('copy.db'), files.path('history.ndjson')])
    expect(imported).toMatchObject({ exitCode: 0, stdout: '' })
    expect(imported.stderr).toMatch(/imported 15 events in 5 streams/)
    const again = await runProcess(['export', '--store', sqlite('copy.db')])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toBe(history)
    const events = jsonLines(again.stdout) as ReadonlyArray<{ position: number; metadata: { hash: string } }>
    expect(events.map((event) => event.position)).toEqual(Array.from({ length: 15 }, (_, index) => index + 1))
    expect(new Set(events.map((event) => event.metadata.hash)).size).toBe(15)
  })

  it('imports from standard input too; the same history again adds nothing, another is refused (exit 3)', async () => {
    expect((await runProcess(['import', '--store', sqlite('piped.db')], history)).exitCode).toBe(0)
    const twice = await runProcess(['import', '--store', sqlite('piped.db')], history)
    expect(twice.exitCode).toBe(0)
    expect(twice.stderr).toMatch(/holds this whole history already \(15 events\): nothing to import/)
    const other = await runProcess(
      ['import', '--store', sqlite('piped.db')],
      history.split('\n').slice(1).join('\n'),
    )
    expect(other.exitCode).not.toBe(0)
    expect((await runProcess(['export', '--store', sqlite('piped.db')])).stdout).toBe(history)
  })

  const tamperings: ReadonlyArray<[string, (lines: string[]) => string[], RegExp]> = [
    [
      'an edited line',
      (lines) =>
        lines.map((line, index) => {
          if (index !== 6) return line
          const event = JSON.parse(line)
          return JSON.stringify({ ...event, data: { ...event.data, classes: ['A1'] } })
        }),
      /line 7: .*hash does not match the event's content/,
    ],
    ['a deleted line', (lines) => lines.filter((_, index) => index !== 1), /line \d+: .*\(version-gap\)/],
    [
      'reordered lines',
      (lines) => [lines[1] ?? '', lines[0] ?? '', ...lines.slice(2)],
      /line 2: position 1 is not after position 2/,
    ],
  ]

  it.each(tamperings)('refuses %s with nothing written (exit 1)', async (tampering, tamper, message) => {
    const lines = history.trimEnd().split('\n')
    const target = sqlite(`${tampering.replaceAll(' ', '-')}.db`)
    const run = await runProcess(['import', '--store', target], `${tamper(lines).join('\n')}\n`)
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toMatch(message)
    expect(run.stderr).toMatch(/refused: nothing was written/)
    // Nor created: the store the import would have made does not exist, nor its -wal or -shm.
    const path = target.slice('sqlite:'.length)
    expect([path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file))).toEqual([])
  })

  it('refuses a line that is no stored event (exit 2) creating no store, and leaves one that was there', async () => {
    const target = files.path('unreadable.db')
    const run = await runProcess(['import', '--store', `sqlite:${target}`], `${history}not json\n`)
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/refused: nothing was written/)
    expect([target, `${target}-wal`, `${target}-shm`].filter((file) => existsSync(file))).toEqual([])
    // A store that existed before the import, empty, is the user's: refused, it stays as it was.
    const empty = files.path('empty-before.db')
    const broken = history.trimEnd().split('\n').slice(1).join('\n')
    expect((await runProcess(['import', '--store', `sqlite:${empty}`], '')).exitCode).toBe(0)
    expect(existsSync(empty)).toBe(true)
    expect((await runProcess(['import', '--store', `sqlite:${empty}`], `${broken}\n`)).exitCode).toBe(1)
    expect(await runProcess(['export', '--store', `sqlite:${empty}`])).toMatchObject({
      exitCode: 0,
      stdout: '',
    })
  })

  it('audits the store it wrote (exit 0) and finds an edited history file (exit 1)', async () => {
    const clean = await runProcess(['audit', '--store', sqlite('copy.db')])
    expect(clean.exitCode).toBe(0)
    expect(clean.stdout).toMatch(/No anomalies\./)
    writeFileSync(files.path('edited.ndjson'), history.replace('"photoOnFile":true', '"photoOnFile":false'))
    const edited = await runProcess(['audit', '--history', files.path('edited.ndjson')])
    expect(edited.exitCode).toBe(1)
    expect(edited.stdout).toMatch(/hash-mismatch/)
  })
})

describe('elicence (built binary)', () => {
  it('lists its commands on --help (exit 0), and on no command (exit 2)', async () => {
    const help = await runProcess(['--help'])
    expect(help.exitCode).toBe(0)
    for (const command of ['exec', 'view', 'verify', 'export', 'import', 'audit']) {
      expect(help.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'))
    }
    expect((await runProcess([])).exitCode).toBe(2)
  })

  it('refuses an unknown command (exit 2) and prints its version', async () => {
    const unknown = await runProcess(['serve-me'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command 'serve-me'/)
    const version = await runProcess(['--version'])
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect(version.stdout.trim()).toBe(manifest.version)
  })

  it('writes a history the file-based tests agree on', async () => {
    // The in-memory fixture and the binary produce the same line shape.
    const [fromFixture] = jsonLines(await lifecycleHistory(1))
    const [fromBinary] = jsonLines((await runProcess(['export', '--store', sqlite('source.db')])).stdout)
    expect(Object.keys(fromBinary ?? {})).toEqual(Object.keys(fromFixture ?? {}))
    expect(Object.keys((fromBinary?.metadata as object) ?? {}).sort()).toEqual(
      Object.keys((fromFixture?.metadata as object) ?? {}).sort(),
    )
  })
})
