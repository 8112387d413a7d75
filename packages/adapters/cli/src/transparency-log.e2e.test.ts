// The re-seal attack of issue 10, through the CLI: an insider who can write the store rewrites
// history and re-computes every hash chain, so the chain checks pass; a checkpoint of the
// transparency log signed before the rewrite catches it. Each attack is made on an exported history
// and, for the edit, in the SQLite file itself with its append-only triggers dropped: (a) an event
// edited and its stream re-sealed, (b) a stream's last event dropped, (c) two streams' events
// swapped in the global order. The untouched history is clean, and a witness refuses a forked log.

import { createHash } from 'node:crypto'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { hashInput } from '@elicence/domain'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  interleavedLifecycles,
  licenceLifecycle,
  licenceNumberFor,
  ndjson,
} from './fixtures/licence-commands.js'
import { assertBuildIsFresh, runInProcess, runProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-log-')
afterAll(files.remove)

interface Line {
  streamId: string
  version: number
  position: number
  type: string
  data: Record<string, unknown>
  metadata: Record<string, unknown> & { hash: string; prevHash: string }
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex')
const parseLines = (text: string): Line[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line)
const writeLines = (lines: ReadonlyArray<Line>) => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`

/** What the insider does after an edit: every later hash of the stream computed again. */
const reseal = (lines: Line[], streamId: string): void => {
  let prevHash: string | undefined
  for (const line of lines) {
    if (line.streamId !== streamId) continue
    if (prevHash !== undefined) line.metadata.prevHash = prevHash
    const { hash: _old, ...draft } = line.metadata
    line.metadata.hash = sha256Hex(
      hashInput(
        line.streamId,
        line.version,
        line.type,
        line.data,
        draft as unknown as Parameters<typeof hashInput>[4],
      ),
    )
    prevHash = line.metadata.hash
  }
}

const store = files.path('history.db')
const keys = files.path('keys')
const witnessKeys = files.path('witness')
const exported = files.path('history.ndjson')
const checkpoint = files.path('checkpoint.txt')
let history: Line[] = []

const auditHistory = (path: string, ...extra: ReadonlyArray<string>) =>
  runInProcess(['audit', '--history', path, '--json', ...extra])
const withCheckpoint = ['--checkpoint', checkpoint, '--log-key', `${keys}/log.vkey`]
const anomalyKinds = (stdout: string): string[] =>
  (JSON.parse(stdout) as { anomalies: Array<{ kind: string }> }).anomalies.map((anomaly) => anomaly.kind)

beforeAll(async () => {
  assertBuildIsFresh()
  expect(
    (await runInProcess(['exec', '--store', `sqlite:${store}`], ndjson(interleavedLifecycles(3)))).exitCode,
  ).toBe(0)
  expect(
    (await runProcess(['keys', '--out', keys, '--origin', 'licences.example.cn/elicence/log'])).exitCode,
  ).toBe(0)
  // The real binary: the signed note alone on stdout, saved as an auditor would.
  const signed = await runProcess(['log', 'checkpoint', '--store', `sqlite:${store}`, '--keys', keys])
  expect(signed.exitCode, signed.stderr).toBe(0)
  expect(signed.stdout).toMatch(
    /^licences\.example\.cn\/elicence\/log\n9\n[A-Za-z0-9+/]{43}=\n\n— licences\.example\.cn\/elicence\/log \S+\n$/,
  )
  writeFileSync(checkpoint, signed.stdout)
  const exportRun = await runInProcess(['export', '--store', `sqlite:${store}`])
  writeFileSync(exported, exportRun.stdout)
  history = parseLines(exportRun.stdout)
  expect(history).toHaveLength(9)
}, 120_000)

describe('the re-seal attack, found by the audit against a checkpoint', () => {
  it('finds nothing in the untouched history, from the file and from the store (exit 0)', async () => {
    expect((await auditHistory(exported, ...withCheckpoint)).exitCode).toBe(0)
    const fromStore = await runInProcess(['audit', '--store', `sqlite:${store}`, '--json', ...withCheckpoint])
    expect(fromStore.exitCode, fromStore.stdout).toBe(0)
    // The real binary, the streams in two worker threads and the tree beside them.
    const partitioned = await runProcess([
      'audit',
      '--store',
      `sqlite:${store}`,
      '--json',
      '--partitions',
      '2',
      ...withCheckpoint,
    ])
    expect(partitioned.exitCode, partitioned.stderr).toBe(0)
    expect(JSON.parse(partitioned.stdout)).toMatchObject({ counts: { events: 9, streams: 3, anomalies: 0 } })
  })

  it('(a) an event edited and its stream re-sealed in an export: the chains pass, the checkpoint does not', async () => {
    const lines = structuredClone(history)
    const recorded = lines.find(
      (line) => line.type === 'LicenceRecorded' && line.streamId === lines[1]?.streamId,
    ) as Line
    ;(recorded.data.holder as { name: string }).name = '李鬼'
    reseal(lines, recorded.streamId)
    const path = files.path('edited.ndjson')
    writeFileSync(path, writeLines(lines))
    expect((await auditHistory(path)).exitCode).toBe(0)
    const run = await auditHistory(path, ...withCheckpoint)
    expect(run.exitCode).toBe(1)
    expect(anomalyKinds(run.stdout)).toEqual(['log-mismatch'])
    // Imported elsewhere, the rewritten history still passes its chains: only the log tells.
    const imported = files.path('forked.db')
    expect((await runInProcess(['import', '--store', `sqlite:${imported}`, path])).exitCode).toBe(0)
  })

  it('(a) the same edit in the SQLite file, triggers dropped: found, and named by stream and version', async () => {
    const path = files.path('edited.db')
    copyFileSync(store, path)
    const lines = structuredClone(history)
    const target = lines.find(
      (line) => line.type === 'LicenceRecorded' && line.streamId === lines[2]?.streamId,
    ) as Line
    ;(target.data.holder as { name: string }).name = '李鬼'
    reseal(lines, target.streamId)
    const db = new Database(path)
    db.exec('DROP TRIGGER events_are_never_updated')
    const update = db.prepare('UPDATE events SET data = ?, metadata = ? WHERE stream_id = ? AND version = ?')
    for (const line of lines.filter((each) => each.streamId === target.streamId))
      update.run(JSON.stringify(line.data), JSON.stringify(line.metadata), line.streamId, line.version)
    // A thorough insider also re-points what the log projection kept in the file at the re-sealed
    // hash, or `audit --store` alone would find the event it reached rewritten.
    const last = lines.filter((each) => each.streamId === target.streamId).at(-1) as Line
    db.prepare(
      `UPDATE read_model_checkpoints SET hash = ? WHERE projection = 'transparency-log' AND position = ?`,
    ).run(last.metadata.hash, last.position)
    db.close()
    const chainsOnly = await runInProcess(['audit', '--store', `sqlite:${path}`, '--json'])
    expect(chainsOnly.exitCode, chainsOnly.stdout).toBe(0)
    const run = await runInProcess(['audit', '--store', `sqlite:${path}`, '--json', ...withCheckpoint])
    expect(run.exitCode).toBe(1)
    const named = [
      expect.objectContaining({
        kind: 'log-mismatch',
        streamId: target.streamId,
        version: target.version,
        position: target.position,
      }),
    ]
    expect(JSON.parse(run.stdout).anomalies).toEqual(named)
    const partitioned = await runProcess([
      'audit',
      '--store',
      `sqlite:${path}`,
      '--json',
      '--partitions',
      '2',
      ...withCheckpoint,
    ])
    expect(partitioned.exitCode, partitioned.stderr).toBe(1)
    expect(JSON.parse(partitioned.stdout).anomalies).toEqual(named)
  })

  it("(b) a stream's last event dropped from an export", async () => {
    const lastOfFirstStream = history.findLastIndex((line) => line.streamId === history[0]?.streamId)
    expect(lastOfFirstStream).toBeLessThan(history.length - 1)
    const path = files.path('dropped.ndjson')
    writeFileSync(path, writeLines(history.filter((_, index) => index !== lastOfFirstStream)))
    expect((await auditHistory(path)).exitCode).toBe(0)
    const run = await auditHistory(path, ...withCheckpoint)
    expect(run.exitCode).toBe(1)
    expect(anomalyKinds(run.stdout)).toEqual(['log-truncated'])
  })

  it("(c) two streams' events swapped in the global order, positions renumbered", async () => {
    const lines = structuredClone(history)
    const [first, second] = [lines[3] as Line, lines[4] as Line]
    expect(first.streamId).not.toBe(second.streamId)
    ;[lines[3], lines[4]] = [
      { ...second, position: first.position },
      { ...first, position: second.position },
    ]
    const path = files.path('reordered.ndjson')
    writeFileSync(path, writeLines(lines))
    expect((await auditHistory(path)).exitCode).toBe(0)
    const run = await auditHistory(path, ...withCheckpoint)
    expect(run.exitCode).toBe(1)
    expect(anomalyKinds(run.stdout)).toEqual(['log-mismatch'])
  })

  it('reports a checkpoint that does not verify with the log key as an anomaly', async () => {
    const forged = files.path('forged-checkpoint.txt')
    writeFileSync(forged, readFileSync(checkpoint, 'utf8').replace('\n9\n', '\n8\n'))
    const run = await auditHistory(exported, '--checkpoint', forged, '--log-key', `${keys}/log.vkey`)
    expect(run.exitCode).toBe(1)
    expect(anomalyKinds(run.stdout)).toEqual(['checkpoint-invalid'])
  })
})

describe('a witness of the log', () => {
  const state = files.path('witness-state')
  const witness = (checkpointFile: string, ...extra: ReadonlyArray<string>) =>
    runInProcess([
      'witness',
      '--state',
      state,
      '--log-key',
      `${keys}/log.vkey`,
      '--key',
      `${witnessKeys}/witness.key`,
      checkpointFile,
      ...extra,
    ])

  it('cosigns the log as it grows, refuses a forked log, and the audit checks its cosignature', async () => {
    expect(
      (await runInProcess(['keys', '--witness', 'witness.example.org/w1', '--out', witnessKeys])).exitCode,
    ).toBe(0)
    const first = await witness(checkpoint)
    expect(first.exitCode, first.stderr).toBe(0)
    expect(first.stdout).toMatch(
      /\n— licences\.example\.cn\/elicence\/log \S+\n— witness\.example\.org\/w1 \S+\n$/,
    )
    const cosigned = files.path('cosigned.txt')
    writeFileSync(cosigned, first.stdout)
    const audited = await auditHistory(
      exported,
      ...withCheckpoint,
      '--witness-key',
      `${witnessKeys}/witness.vkey`,
    )
    expect(audited.exitCode).toBe(1)
    expect(anomalyKinds(audited.stdout)).toEqual(['checkpoint-invalid'])
    const withCosignature = await auditHistory(
      exported,
      '--checkpoint',
      cosigned,
      '--log-key',
      `${keys}/log.vkey`,
      '--witness-key',
      `${witnessKeys}/witness.vkey`,
    )
    expect(withCosignature.exitCode, withCosignature.stdout).toBe(0)

    // The forked log: the re-sealed history imported into a store the operator signs with the same key.
    const forked = files.path('forked.db')
    const forkedCheckpoint = files.path('forked-checkpoint.txt')
    const signedFork = await runInProcess([
      'log',
      'checkpoint',
      '--store',
      `sqlite:${forked}`,
      '--keys',
      keys,
    ])
    expect(signedFork.exitCode, signedFork.stderr).toBe(0)
    writeFileSync(forkedCheckpoint, signedFork.stdout)
    const refused = await witness(forkedCheckpoint)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/refused: .*another root: the log forked/)

    // The fork grown by a licence: its consistency proof from 9 does not hold against what the witness saw.
    const grow = ndjson(licenceLifecycle(licenceNumberFor(4)))
    expect((await runInProcess(['exec', '--store', `sqlite:${forked}`], grow)).exitCode).toBe(0)
    const grownFork = await runInProcess(['log', 'checkpoint', '--store', `sqlite:${forked}`, '--keys', keys])
    writeFileSync(forkedCheckpoint, grownFork.stdout)
    const forkProof = files.path('fork-proof.json')
    const proved = await runInProcess([
      'log',
      'prove',
      '--store',
      `sqlite:${forked}`,
      '--from',
      '9',
      '--to',
      '12',
    ])
    expect(proved.exitCode, proved.stderr).toBe(0)
    writeFileSync(forkProof, proved.stdout)
    const stillRefused = await witness(forkedCheckpoint, '--proof', forkProof)
    expect(stillRefused.exitCode).toBe(1)
    // A failed proof shows no fork by itself (it may be from another size): said so, not "forked".
    expect(stillRefused.stderr).toMatch(/does not show that the tree of 12 extends the tree of 9/)
    expect(stillRefused.stderr).not.toContain('forked')

    // The genuine log grown the same way is cosigned with its proof.
    expect((await runInProcess(['exec', '--store', `sqlite:${store}`], grow)).exitCode).toBe(0)
    const grown = await runInProcess(['log', 'checkpoint', '--store', `sqlite:${store}`, '--keys', keys])
    const grownCheckpoint = files.path('grown-checkpoint.txt')
    writeFileSync(grownCheckpoint, grown.stdout)
    const proof = files.path('proof.json')
    writeFileSync(
      proof,
      (await runInProcess(['log', 'prove', '--store', `sqlite:${store}`, '--from', '9', '--to', '12']))
        .stdout,
    )
    const accepted = await witness(grownCheckpoint, '--proof', proof)
    expect(accepted.exitCode, accepted.stderr).toBe(0)
    const rolledBack = await witness(checkpoint)
    expect(rolledBack.exitCode).toBe(1)
    expect(rolledBack.stderr).toMatch(/fewer than the 12/)
  })
})
