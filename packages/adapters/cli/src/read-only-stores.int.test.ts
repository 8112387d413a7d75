// The verbs that only read a store (export, audit, view, verify) open it read-only: a mistyped path
// is an error that creates nothing (for log checkpoint and prove too, which read its events alike), a full disk does not stop them (they write nothing, not even
// read-model tables), and a store on read-only media (a real tmpfs remounted read-only: the tests
// run as root, whom file modes do not stop) is read whole. The verbs that write (exec, import)
// still create a missing store. A reader that may not write the store's directory reads it all the
// same, and one that is not the store's owner leaves nothing behind that would stop the owner
// writing: each a real process of another user (the tests run as root, whom file modes do not stop).
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { leafHash, rootOfLeafHashes, verifyInclusion } from '@elicence/projections'
import { nodeSha256 } from '@elicence/projections/node'
import { afterAll, describe, expect, it } from 'vitest'
import {
  interleavedLifecycles,
  licenceLifecycle,
  licenceNumberFor,
  ndjson,
} from './fixtures/licence-commands.js'
import { assertBuildIsFresh, jsonLines, type RunAs, runInProcess, runProcess } from './fixtures/run-cli.js'
import { serveStore } from './fixtures/served-store.js'
import { type SmallVolume, smallVolume } from './fixtures/small-volume.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-read-only-')
const volumes: SmallVolume[] = []
const directories: string[] = []
afterAll(() => {
  for (const volume of volumes) volume.remove()
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
  files.remove()
})

/** A directory of `mode`, owned by `owner` (root when not given), that every user can reach. */
const directoryFor = (mode: number, owner?: RunAs): ((name: string) => string) => {
  const directory = mkdtempSync(join(tmpdir(), 'elicence-cli-other-user-'))
  directories.push(directory)
  if (owner !== undefined) chownSync(directory, owner.uid, owner.gid)
  chmodSync(directory, mode)
  return (name) => join(directory, name)
}

const nobody: RunAs = { uid: 65534, gid: 65534 }
const owner: RunAs = { uid: 1000, gid: 1000 }

/** Lifecycles of licences `from` to `from + count - 1`: each batch's licences are new. */
const lifecycles = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => licenceLifecycle(licenceNumberFor(from + index))).flat()

const exportAs = async (as: RunAs, path: string) => {
  const run = await runProcess(['export', '--store', `sqlite:${path}`], '', {}, as)
  expect(run.stderr).toBe('')
  expect(run.exitCode).toBe(0)
  return jsonLines(run.stdout)
}

const auditAs = async (as: RunAs, path: string) => {
  const run = await runProcess(['audit', '--store', `sqlite:${path}`, '--json'], '', {}, as)
  expect(run.stderr).toBe('')
  expect(run.exitCode).toBe(0)
  return JSON.parse(run.stdout) as { counts: { events: number; anomalies: number } }
}

const readingVerbs: ReadonlyArray<ReadonlyArray<string>> = [
  ['export'],
  ['audit'],
  ['view', licenceNumberFor(1)],
  ['verify', licenceNumberFor(1)],
]

/** Fills what is left of a volume with one file, so the next write of any size fails. */
const fillVolume = (volume: SmallVolume) => {
  const chunk = Buffer.alloc(64 * 1024, 1)
  for (let index = 0; ; index++) {
    try {
      writeFileSync(volume.path(`filler-${index}`), chunk)
    } catch {
      // ENOSPC: a last, smaller file takes the remaining bytes.
      try {
        writeFileSync(volume.path('filler-last'), Buffer.alloc(4096, 1))
      } catch {}
      return
    }
  }
}

describe('a store that does not exist', () => {
  it.each(readingVerbs)(
    '%s of a mistyped sqlite: path fails (exit 3) and creates no file',
    async (...verb: ReadonlyArray<string>) => {
      const missing = files.path(`missing-${verb[0]}.db`)
      const run = await runInProcess([...verb, '--store', `sqlite:${missing}`])
      expect(run.exitCode).toBe(3)
      expect(run.stderr).toContain(`no store at ${missing}: the file does not exist`)
      expect(run.stdout).not.toContain('No anomalies')
      expect(existsSync(missing)).toBe(false)
      expect(existsSync(`${missing}-wal`)).toBe(false)
    },
  )

  it.each([['checkpoint'], ['prove', '--index', '0']])(
    'log %s of a mistyped sqlite: path fails (exit 3) and creates no file, as export does',
    async (...action: ReadonlyArray<string>) => {
      const keys = files.path(`keys-${action[0]}`)
      expect((await runInProcess(['keys', '--out', keys])).exitCode).toBe(0)
      const missing = files.path(`missing-log-${action[0]}.db`)
      const run = await runInProcess(['log', ...action, '--store', `sqlite:${missing}`, '--keys', keys])
      expect(run.exitCode).toBe(3)
      expect(run.stderr).toContain(`no store at ${missing}: the file does not exist (nothing was created)`)
      expect(run.stdout).toBe('')
      expect(existsSync(missing)).toBe(false)
      expect(existsSync(`${missing}-wal`)).toBe(false)
    },
  )

  it('log checkpoint of a store that exists keeps its tree beside it, and prove reads it (exit 0)', async () => {
    const path = files.path('logged.db')
    const keys = files.path('keys-logged')
    expect((await runInProcess(['keys', '--out', keys])).exitCode).toBe(0)
    expect(
      (await runInProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(interleavedLifecycles(1))))
        .exitCode,
    ).toBe(0)
    const signed = await runInProcess(['log', 'checkpoint', '--store', `sqlite:${path}`, '--keys', keys])
    expect(signed.exitCode, signed.stderr).toBe(0)
    expect(signed.stdout.split('\n')[1]).toBe('3')
    // The writer closes last, so the file is whole again: a copy of it alone has the log's tree.
    expect(existsSync(`${path}-wal`)).toBe(false)
    expect(existsSync(`${path}-shm`)).toBe(false)
    // prove only reads: the tree kept beside the store, which has every event.
    const proved = await runInProcess(['log', 'prove', '--store', `sqlite:${path}`, '--index', '2'])
    expect(proved.exitCode, proved.stderr).toBe(0)
    expect(proved.stderr).toBe('')
    expect(JSON.parse(proved.stdout)).toMatchObject({ treeSize: 3, leafIndex: 2 })
  })

  it('audit of an empty file that is no event store fails, naming it', async () => {
    const empty = files.path('not-a-store.db')
    writeFileSync(empty, '')
    const run = await runInProcess(['audit', '--store', `sqlite:${empty}`])
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain('holds no event store')
  })

  it('exec and import create it, as before', async () => {
    const created = files.path('created.db')
    const run = await runInProcess(
      ['exec', '--store', `sqlite:${created}`, '-'],
      ndjson(interleavedLifecycles(1)),
    )
    expect(run.exitCode).toBe(0)
    const imported = files.path('imported.db')
    const exported = await runInProcess(['export', '--store', `sqlite:${created}`])
    expect(
      (await runInProcess(['import', '--store', `sqlite:${imported}`, '-'], exported.stdout)).exitCode,
    ).toBe(0)
    expect(existsSync(imported)).toBe(true)
  })

  it('memory: is refused by the reading verbs: it can only ever be empty', async () => {
    const run = await runInProcess(['audit', '--store', 'memory:'])
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain('memory: is a new, empty store')
  })
})

describe('a store on a full disk, then on read-only media', () => {
  it('export and audit read it (exit 0) and write nothing; then the same on the volume remounted read-only', async () => {
    const volume = smallVolume(3)
    volumes.push(volume)
    const path = volume.path('elicence.db')
    const commands = interleavedLifecycles(20)
    const exec = await runInProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(commands))
    expect(exec.exitCode).toBe(0)
    fillVolume(volume)
    const before = readdirSync(volume.path('.')).sort()

    const exported = await runInProcess(['export', '--store', `sqlite:${path}`])
    expect(exported.stderr).toBe('')
    expect(exported.exitCode).toBe(0)
    expect(jsonLines(exported.stdout)).toHaveLength(commands.length)
    const audited = await runInProcess(['audit', '--store', `sqlite:${path}`, '--json'])
    expect(audited.stderr).toBe('')
    expect(audited.exitCode).toBe(0)
    expect(JSON.parse(audited.stdout)).toMatchObject({ counts: { events: commands.length, anomalies: 0 } })
    expect(readdirSync(volume.path('.')).sort()).toEqual(before)

    volume.remountReadOnly()
    // The store was closed cleanly by the last writer, so no -wal or -shm file is left beside it.
    expect(existsSync(`${path}-shm`)).toBe(false)
    const exportedReadOnly = await runInProcess(['export', '--store', `sqlite:${path}`])
    expect(exportedReadOnly.stderr).toBe('')
    expect(exportedReadOnly.exitCode).toBe(0)
    expect(exportedReadOnly.stdout).toBe(exported.stdout)
    const auditedReadOnly = await runInProcess(['audit', '--store', `sqlite:${path}`, '--json'])
    expect(auditedReadOnly.exitCode).toBe(0)
    expect(JSON.parse(auditedReadOnly.stdout)).toMatchObject({
      counts: { events: commands.length, anomalies: 0 },
    })
    // The partitioned audit too (the real binary: its worker threads and this thread each open the store).
    assertBuildIsFresh()
    const partitioned = await runProcess([
      'audit',
      '--store',
      `sqlite:${path}`,
      '--json',
      '--partitions',
      '2',
    ])
    expect(partitioned.stderr).toBe('')
    expect(partitioned.exitCode).toBe(0)
    expect(JSON.parse(partitioned.stdout)).toMatchObject({
      counts: { events: commands.length, anomalies: 0 },
    })
    const viewed = await runInProcess(['view', licenceNumberFor(1), '--store', `sqlite:${path}`])
    expect(viewed.exitCode).toBe(0)
    // Proofs come from the history when the tree beside it cannot be brought up to date: the
    // same proofs (checked against the tree of the exported events) with nothing written.
    const proved = await runInProcess(['log', 'prove', '--store', `sqlite:${path}`, '--index', '3'])
    expect(proved.exitCode, proved.stderr).toBe(0)
    expect(proved.stderr).toContain('built from the history')
    const proof = JSON.parse(proved.stdout)
    expect(proof).toMatchObject({ treeSize: commands.length, leafIndex: 3 })
    const leaves = jsonLines(exported.stdout).map((event) =>
      leafHash(nodeSha256, Buffer.from((event as { metadata: { hash: string } }).metadata.hash, 'hex')),
    )
    expect(
      verifyInclusion(
        nodeSha256,
        3,
        leaves.length,
        leaves[3] as Uint8Array,
        proof.hashes.map((hash: string) => new Uint8Array(Buffer.from(hash, 'base64'))),
        rootOfLeafHashes(nodeSha256, leaves),
      ),
    ).toBe(true)
    const consistent = await runInProcess([
      'log',
      'prove',
      '--store',
      `sqlite:${path}`,
      '--from',
      '5',
      '--to',
      '9',
    ])
    expect(consistent.exitCode, consistent.stderr).toBe(0)
    // A write on read-only media fails as a store failure, clearly, rather than crash.
    const write = await runInProcess(
      ['exec', '--store', `sqlite:${path}`, '-'],
      ndjson(interleavedLifecycles(1)),
    )
    expect(write.exitCode).toBe(3)
  })
})

describe('a store in a directory the reader may not write', () => {
  it("export and audit by another user read root's store in root's directory (mode 755), creating nothing", async () => {
    assertBuildIsFresh()
    const path = directoryFor(0o755)('ro.db')
    const commands = lifecycles(1, 5)
    expect((await runProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(commands))).exitCode).toBe(0)
    const before = readdirSync(join(path, '..'))
    expect(before).toEqual(['ro.db'])

    expect(await exportAs(nobody, path)).toHaveLength(commands.length)
    expect(await auditAs(nobody, path)).toMatchObject({ counts: { events: commands.length, anomalies: 0 } })
    expect(readdirSync(join(path, '..'))).toEqual(before)
  })

  it('export by its owner reads a store in its own directory made read-only (mode 555)', async () => {
    assertBuildIsFresh()
    const at = directoryFor(0o755, nobody)
    const path = at('own.db')
    const commands = lifecycles(1, 5)
    expect(
      (await runProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(commands), {}, nobody)).exitCode,
    ).toBe(0)
    chmodSync(at('.'), 0o555)

    // SQLite cannot create the -wal here (SQLITE_READONLY_DIRECTORY), so the file is read alone.
    expect(await exportAs(nobody, path)).toHaveLength(commands.length)
    expect(readdirSync(at('.'))).toEqual(['own.db'])
  })
})

describe('a store read by a user who is not its owner, in a directory anyone may write (mode 777)', () => {
  it('export and audit leave no -wal or -shm of theirs behind, and the owner then writes as before', async () => {
    assertBuildIsFresh()
    const at = directoryFor(0o777)
    const path = at('svc.db')
    const first = lifecycles(1, 5)
    expect(
      (await runProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(first), {}, owner)).exitCode,
    ).toBe(0)
    expect(readdirSync(at('.'))).toEqual(['svc.db'])

    expect(await exportAs(nobody, path)).toHaveLength(first.length)
    expect(await auditAs(nobody, path)).toMatchObject({ counts: { events: first.length, anomalies: 0 } })
    expect(readdirSync(at('.'))).toEqual(['svc.db'])

    const second = lifecycles(100, 5)
    const exec = await runProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(second), {}, owner)
    expect(exec.stderr).toBe('')
    expect(exec.exitCode).toBe(0)
    expect(jsonLines(exec.stdout).map((result) => result.status)).toEqual(second.map(() => 'applied'))
    expect(await exportAs(nobody, path)).toHaveLength(first.length + second.length)
  })

  it("reads a running service's store through its -wal and -shm, and refuses a -wal without its -shm", async () => {
    assertBuildIsFresh()
    const at = directoryFor(0o777)
    const path = at('served.db')
    const first = lifecycles(1, 3)
    expect(
      (await runProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(first), {}, owner)).exitCode,
    ).toBe(0)
    // The service runs as root here, and SQLite gives root's -wal and -shm to the file's owner.
    const served = await serveStore(`sqlite:${path}`, files.path('served-data'))
    try {
      for (const seed of [201, 202, 203]) expect((await served.record(seed)).status).toBe(201)
      expect(readdirSync(at('.')).sort()).toEqual(['served.db', 'served.db-shm', 'served.db-wal'])

      const exported = await exportAs(nobody, path)
      expect(exported).toHaveLength(first.length + 3)

      // The same -wal copied without its -shm: another user could read it only by creating a -shm of
      // its own, so it refuses rather than read the database file without the -wal's commits.
      const copy = directoryFor(0o777)
      copyFileSync(path, copy('copy.db'))
      copyFileSync(`${path}-wal`, copy('copy.db-wal'))
      chownSync(copy('copy.db'), owner.uid, owner.gid)
      chownSync(copy('copy.db-wal'), owner.uid, owner.gid)
      const refused = await runProcess(['export', '--store', `sqlite:${copy('copy.db')}`], '', {}, nobody)
      expect(refused.exitCode).toBe(3)
      expect(refused.stderr).toContain(`has a write-ahead log (${copy('copy.db-wal')})`)
      expect(refused.stdout).toBe('')
      expect(readdirSync(copy('.')).sort()).toEqual(['copy.db', 'copy.db-wal'])
      // Its owner reads it whole, creating the -shm as its own.
      expect(await exportAs(owner, copy('copy.db'))).toEqual(exported)
    } finally {
      await served.close()
    }
    expect(
      (await runProcess(['exec', '--store', `sqlite:${path}`, '-'], ndjson(lifecycles(300, 1)), {}, owner))
        .exitCode,
    ).toBe(0)
  })
})
