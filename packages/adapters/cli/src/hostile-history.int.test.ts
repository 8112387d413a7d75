// Audit input is untrusted input (issue 10): hostile history files given to `import` and to
// `audit --history` as real files, read the same way by both — a line far longer than any stored
// event, bytes that are not UTF-8, a position of 3.5 — are invalid input (exit 2) with a message
// naming the line, never a crash (RangeError) or an anomaly read as tampering; an empty history is
// said to be empty, and a directory is no history.

import { once } from 'node:events'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lifecycleHistory } from './fixtures/history-text.js'
import { runInProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-hostile-')
afterAll(files.remove)

let history: string[] = []
beforeAll(async () => {
  history = (await lifecycleHistory(2)).split('\n').filter((line) => line !== '')
})

const both = async (path: string) => ({
  imported: await runInProcess(['import', '--store', 'memory:', path]),
  audited: await runInProcess(['audit', '--history', path, '--json']),
})

describe('hostile history files, read alike by import and audit --history', () => {
  it('a line of 40 MiB: refused as too long, naming it (exit 2), memory never holding it', async () => {
    const path = files.path('long-line.ndjson')
    const out = createWriteStream(path)
    out.write(`${history[0]}\n{"streamId":"`)
    const block = Buffer.alloc(1024 * 1024, 'a')
    for (let mib = 0; mib < 40; mib++) if (!out.write(block)) await once(out, 'drain')
    out.end(`"}\n${history.slice(1).join('\n')}\n`)
    await once(out, 'finish')
    const { imported, audited } = await both(path)
    for (const run of [imported, audited]) {
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/line 2 is longer than 1048576 bytes/)
      expect(run.stderr).not.toMatch(/RangeError/)
    }
  }, 60_000)

  it('bytes that are not UTF-8: refused, naming the line (exit 2), not replaced and read as a hash mismatch', async () => {
    const path = files.path('latin1.ndjson')
    const lines = history.map((line) => Buffer.from(`${line}\n`, 'utf8'))
    // The holder's name in GB 2312 bytes, as a converted export might carry it.
    lines[0] = Buffer.from(`${history[0]}\n`.replace('张三丰', '\u0000'), 'utf8')
    const at = lines[0].indexOf(0)
    lines[0] = Buffer.concat([
      lines[0].subarray(0, at),
      Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]),
      lines[0].subarray(at + 1),
    ])
    writeFileSync(path, Buffer.concat(lines))
    const { imported, audited } = await both(path)
    for (const run of [imported, audited]) {
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/line 1 is not UTF-8 text/)
    }
    expect(JSON.parse(audited.stdout).anomalies).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'hash-mismatch' })]),
    )
  })

  it('position 3.5: refused by both with the path that is wrong (exit 2)', async () => {
    const path = files.path('fraction.ndjson')
    const lines = history.map((line) => JSON.parse(line) as Record<string, unknown>)
    lines[2] = { ...lines[2], position: 3.5 }
    writeFileSync(path, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`)
    const { imported, audited } = await both(path)
    for (const run of [imported, audited]) {
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/line 3: position/)
    }
  })

  it('a directory: refused by both as no file (exit 2), not an unexpected EISDIR (exit 3)', async () => {
    const path = files.path('a-directory')
    mkdirSync(path)
    const { imported, audited } = await both(path)
    for (const run of [imported, audited]) {
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/cannot read .*a-directory: it is a directory, not a file/)
    }
  })

  it('an empty history: said plainly by both', async () => {
    const path = files.path('empty.ndjson')
    writeFileSync(path, '\n\n')
    const { imported, audited } = await both(path)
    expect(imported.exitCode).toBe(0)
    expect(imported.stderr).toMatch(/holds no events: an empty history, nothing was imported/)
    expect(audited.exitCode).toBe(0)
    expect(audited.stderr).toMatch(/holds no events: an empty history/)
  })
})
