// Interoperability with an implementation we did not write: Go's golang.org/x/mod/sumdb (Debian's
// golang-go and golang-golang-x-mod-dev, which scripts/setup.sh installs; GOPATH mode, no network)
// opens the checkpoint `elicence log checkpoint` signed, with the `log.vkey` `elicence keys` wrote,
// and its tlog package, fed the events' hashes, has our root and accepts — and would itself make —
// every proof `elicence log prove` prints. fixtures/go-interop/verify.go does the Go side.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { interleavedLifecycles, ndjson } from './fixtures/licence-commands.js'
import { jsonLines, runInProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-go-')
afterAll(files.remove)

const verifier = fileURLToPath(new URL('./fixtures/go-interop/verify.go', import.meta.url))
// Debian puts the Go sources of its golang-*-dev packages under /usr/share/gocode/src.
const goEnvironment = {
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? tmpdir(),
  GO111MODULE: 'off',
  GOPATH: '/usr/share/gocode',
  GOPROXY: 'off',
  GOFLAGS: '',
  GOCACHE: join(tmpdir(), 'elicence-go-build-cache'),
}

const goVerify = (...args: ReadonlyArray<string>) =>
  spawnSync('go', ['run', verifier, ...args], { env: goEnvironment, encoding: 'utf8', timeout: 180_000 })

const store = `sqlite:${files.path('history.db')}`
const keys = files.path('keys')
const checkpoint = files.path('checkpoint.txt')
const proofsFile = files.path('proofs.json')

beforeAll(async () => {
  // 7 licences: 21 events, a tree that is no power of two, with proofs across its uneven edge.
  expect((await runInProcess(['exec', '--store', store], ndjson(interleavedLifecycles(7)))).exitCode).toBe(0)
  expect(
    (await runInProcess(['keys', '--out', keys, '--origin', 'licences.example.cn/elicence/log'])).exitCode,
  ).toBe(0)
  const signed = await runInProcess(['log', 'checkpoint', '--store', store, '--keys', keys])
  expect(signed.exitCode, signed.stderr).toBe(0)
  writeFileSync(checkpoint, signed.stdout)
  const leaves = jsonLines((await runInProcess(['export', '--store', store])).stdout).map(
    (line) => (line.metadata as { hash: string }).hash,
  )
  expect(leaves).toHaveLength(21)
  const prove = async (...args: ReadonlyArray<string>) => {
    const run = await runInProcess(['log', 'prove', '--store', store, ...args])
    expect(run.exitCode, run.stderr).toBe(0)
    return JSON.parse(run.stdout) as Record<string, unknown>
  }
  const inclusion = []
  for (const [index, size] of [
    [0, 21],
    [13, 21],
    [20, 21],
    [5, 6],
    [0, 1],
    [16, 17],
  ] as const)
    inclusion.push(await prove('--index', String(index), '--size', String(size)))
  const consistency = []
  for (const [from, to] of [
    [1, 21],
    [6, 21],
    [8, 21],
    [13, 20],
    [21, 21],
  ] as const)
    consistency.push({ from, ...(await prove('--from', String(from), '--to', String(to))) })
  writeFileSync(proofsFile, JSON.stringify({ leaves, inclusion, consistency }))
}, 120_000)

describe("Go's sumdb/note and sumdb/tlog", () => {
  it('verify our checkpoint with our log.vkey, have our root, and accept and make the same proofs', () => {
    const run = goVerify(join(keys, 'log.vkey'), checkpoint, proofsFile)
    expect(run.error).toBeUndefined()
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(
      [
        'note: verified by licences.example.cn/elicence/log, origin licences.example.cn/elicence/log, size 21',
        "tlog: root of 21 leaves equals the checkpoint's",
        "tlog: 6 inclusion proofs check and equal tlog's",
        "tlog: 5 consistency proofs check and equal tlog's",
        '',
      ].join('\n'),
    )
  }, 200_000)

  it("open our witness's output of a checkpoint that came with 99 junk signature lines", async () => {
    // Passed on as it came, the 99 lines, the log's and the cosignature are 101: past Go's limit.
    const junk = Array.from({ length: 99 }, (_, k) => `— junk.example/k${k} AAAAAAAAAAAA\n`).join('')
    const flooded = files.path('flooded.txt')
    writeFileSync(flooded, `${readFileSync(checkpoint, 'utf8')}${junk}`)
    expect(
      (await runInProcess(['keys', '--witness', 'witness.example.org/w1', '--out', files.path('w')]))
        .exitCode,
    ).toBe(0)
    const witnessed = await runInProcess([
      'witness',
      '--state',
      files.path('witness-state'),
      '--log-key',
      join(keys, 'log.vkey'),
      '--key',
      files.path('w/witness.key'),
      flooded,
    ])
    expect(witnessed.exitCode, witnessed.stderr).toBe(0)
    const cosigned = files.path('cosigned.txt')
    writeFileSync(cosigned, witnessed.stdout)
    const run = goVerify(join(keys, 'log.vkey'), cosigned, proofsFile)
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
  }, 200_000)

  it('open a checkpoint signed for another origin, as our witness and audit do when told it', async () => {
    const other = files.path('other-origin.txt')
    const signed = await runInProcess([
      'log',
      'checkpoint',
      '--store',
      store,
      '--keys',
      keys,
      '--origin',
      'mirror.example.cn/log',
    ])
    expect(signed.exitCode, signed.stderr).toBe(0)
    writeFileSync(other, signed.stdout)
    const run = goVerify(join(keys, 'log.vkey'), other, proofsFile)
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toContain('origin mirror.example.cn/log, size 21')
    const audited = await runInProcess([
      'audit',
      '--store',
      store,
      '--checkpoint',
      other,
      '--log-key',
      join(keys, 'log.vkey'),
      '--origin',
      'mirror.example.cn/log',
    ])
    expect(audited.exitCode, audited.stdout).toBe(0)
  }, 200_000)

  it('refuse a checkpoint whose size was changed after signing', () => {
    const forged = files.path('forged.txt')
    writeFileSync(forged, spawnSync('sed', ['s/^21$/20/', checkpoint], { encoding: 'utf8' }).stdout)
    const run = goVerify(join(keys, 'log.vkey'), forged, proofsFile)
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/checkpoint: .*(invalid signature|verification failure)/i)
  }, 200_000)
})
