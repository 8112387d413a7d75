// Input nested past `maxJsonDepth` through every CLI transport: a command to `exec`, a history line
// to `import` and to `audit --history`. Each is refused as invalid input naming the limit (exit 2
// for exec and import, an anomaly for audit), nothing is written, and nothing crashes. Without the
// bound, 5,000 levels overflow the stack in the codecs' error report and in canonical JSON.
import { maxJsonDepth } from '@elicence/domain'
import * as fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { lifecycleHistory } from './fixtures/history-text.js'
import { licenceNumberFor, recordLicence } from './fixtures/licence-commands.js'
import { jsonLines, runInProcess } from './fixtures/run-cli.js'

const nest = (depth: number, open: string, close: string, inner = '0') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`

const depthArb = fc.integer({ min: maxJsonDepth + 1, max: 20_000 })
const levelArb = fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[1,{"b":', '}]'])

let history = ''

beforeAll(async () => {
  history = await lifecycleHistory(1)
})

describe('input nested too deep', () => {
  it('exec: a command nested past the limit anywhere is invalid (exit 2), and nothing is applied', async () => {
    await fc.assert(
      fc.asyncProperty(
        depthArb,
        levelArb,
        fc.constantFrom('data', 'metadata', 'root'),
        async (depth, [open, close], place) => {
          const command = recordLicence(licenceNumberFor(7)) as unknown as Record<string, unknown>
          const deep = nest(depth, open ?? '[', close ?? ']')
          const text =
            place === 'root'
              ? deep
              : JSON.stringify({ ...command, [place]: '\u0000' }).replace('"\\u0000"', deep)
          const run = await runInProcess(['exec', '--store', 'memory:', '-'], text)
          expect(run.exitCode).toBe(2)
          const [result] = jsonLines(run.stdout)
          expect(result).toMatchObject({ status: 'invalid' })
          expect(JSON.stringify(result)).toContain(`deeper than ${maxJsonDepth} levels`)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('import: a history line nested past the limit is refused naming its line (exit 2), nothing written', async () => {
    const [first = '', ...rest] = history.trim().split('\n')
    const event = JSON.parse(first) as Record<string, unknown>
    const deepLine = JSON.stringify({ ...event, data: '\u0000' }).replace('"\\u0000"', nest(5_000, '[', ']'))
    const run = await runInProcess(['import', '--store', 'memory:', '-'], [deepLine, ...rest].join('\n'))
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`line 1: nested deeper than ${maxJsonDepth} levels`)
  })

  it('audit --history: a line nested past the limit is invalid input (exit 2), as for import, not a crash', async () => {
    const lines = history.trim().split('\n')
    const event = JSON.parse(lines[1] ?? '') as Record<string, unknown>
    const deepLine = JSON.stringify({ ...event, metadata: '\u0000' }).replace(
      '"\\u0000"',
      nest(8_000, '{"a":', '}'),
    )
    const run = await runInProcess(
      ['audit', '--history', '-', '--json'],
      [lines[0], deepLine, ...lines.slice(2)].join('\n'),
    )
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`line 2: nested deeper than ${maxJsonDepth}`)
    // The other lines are still audited: the report is there.
    expect(JSON.parse(run.stdout)).toMatchObject({ counts: { events: lines.length - 1 } })
  })
})
