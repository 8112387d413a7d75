// A reader that is not a store's owner, finding no -wal or -shm beside it (nobody has it open),
// reads the file alone and immutably, creating nothing (see database-file.ts). SQLite takes no lock
// for such a reader, so a writer may open the file meanwhile and checkpoint into it: then every later
// read fails rather than hand out a log read from two states of the file. The reader is a real
// process of another user (the tests run as root); the writer is this process, as the file's owner
// (SQLite gives root's -wal and -shm to the file's owner).
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { NewEvent } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { notedEvent } from './noted-event.fixture.js'
import { openSqliteReadModelStore } from './read-models.js'
import { openSqliteEventStore } from './sqlite-store.js'

const hooks = new URL('./typescript-hooks.fixture.mjs', import.meta.url).href
const registerHooks = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)})`,
)}`
const readerScript = fileURLToPath(new URL('./immutable-reader.fixture.ts', import.meta.url))

const dir = mkdtempSync(join(tmpdir(), 'elicence-immutable-reads-'))
chmodSync(dir, 0o777)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const owner = { uid: 1000, gid: 1000 }
const nobody = { uid: 65534, gid: 65534 }

const noted = (): NewEvent => notedEvent({ n: 1 })

/** A store of `events` events on one stream, owned by `owner`, closed: no -wal or -shm beside it. */
const ownersStore = async (name: string, events: number): Promise<string> => {
  const path = join(dir, name)
  const store = openSqliteEventStore(path)
  if (E.isLeft(store)) throw new Error(store.left.message)
  const appended = await store.right.appendToStream(
    'stream-1',
    'no-stream',
    Array.from({ length: events }, noted),
  )
  if (E.isLeft(appended)) throw new Error(appended.left.message)
  await store.right.close()
  chownSync(path, owner.uid, owner.gid)
  return path
}

/** The reader process, as nobody: each `read()` reads the whole log (or the read models) once and answers what it read. */
const startReader = (path: string, kind: 'events' | 'read-models' = 'events') => {
  const child = spawn(
    process.execPath,
    ['--conditions=@elicence/source', '--import', registerHooks, '--no-warnings', readerScript, path, kind],
    { ...nobody, stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    read: async (): Promise<{ events?: number; failure?: string }> => {
      child.stdin.write('read\n')
      const answer = await answers.next()
      if (answer.done === true) throw new Error('the reader exited without answering')
      return JSON.parse(answer.value)
    },
    close: () =>
      new Promise<number | null>((resolve) => {
        child.once('close', resolve)
        child.stdin.end()
      }),
  }
}

const appendAsWriter = async (path: string, events: number, closeAfter: boolean) => {
  const store = openSqliteEventStore(path)
  if (E.isLeft(store)) throw new Error(store.left.message)
  const appended = await store.right.appendToStream('stream-2', 'any', Array.from({ length: events }, noted))
  expect(E.isRight(appended)).toBe(true)
  if (closeAfter) await store.right.close()
  return store.right
}

describe('a file read immutably by another user', () => {
  it('reads it again and again, creating nothing, while nobody writes', async () => {
    const path = await ownersStore('quiet.db', 5)
    const reader = startReader(path)
    expect(await reader.read()).toEqual({ events: 5 })
    expect(await reader.read()).toEqual({ events: 5 })
    expect(readdirSync(dir)).toEqual(['quiet.db'])
    expect(await reader.close()).toBe(0)
  })

  it('fails every read after a writer has opened the file, while it writes', async () => {
    const path = await ownersStore('open-writer.db', 5)
    const reader = startReader(path)
    expect(await reader.read()).toEqual({ events: 5 })
    const writer = await appendAsWriter(path, 3, false)
    try {
      const read = await reader.read()
      expect(read.failure).toContain('has been opened for writing since')
      expect(read.failure).toContain('read it again')
    } finally {
      await writer.close()
    }
    expect((await reader.read()).failure).toContain('has been opened for writing since')
    expect(await reader.close()).toBe(0)
    // Read again, the file is whole: the writer checkpointed its events into it as it closed.
    const again = startReader(path)
    expect(await again.read()).toEqual({ events: 8 })
    expect(await again.close()).toBe(0)
  })

  it('fails a read after a writer has opened, checkpointed into and closed the file in between', async () => {
    const path = await ownersStore('gone-writer.db', 5)
    const reader = startReader(path)
    expect(await reader.read()).toEqual({ events: 5 })
    await appendAsWriter(path, 3, true)
    expect(readdirSync(dir).filter((name) => name.startsWith('gone-writer'))).toEqual(['gone-writer.db'])
    expect((await reader.read()).failure).toContain('has been opened for writing since')
    expect(await reader.close()).toBe(0)
  })

  it('fails a read of the read models after a writer has committed into the file meanwhile', async () => {
    const path = join(dir, 'read-models.db')
    const commitNotes = async (count: number, expected: number) => {
      const store = openSqliteReadModelStore(path)
      if (E.isLeft(store)) throw new Error(store.left.message)
      const changes = Array.from({ length: count }, (_, index) => ({
        collection: 'notes',
        key: `note-${expected + index}`,
        doc: { n: expected + index },
        sortKey: null,
      }))
      const next = {
        position: expected + count,
        streamId: 'stream-1',
        version: expected + count - 1,
        hash: null,
      }
      const committed = await store.right.commit('views', changes, { expected, next })
      expect(E.isRight(committed)).toBe(true)
      await store.right.close()
    }
    await commitNotes(4, 0)
    chownSync(path, owner.uid, owner.gid)
    const reader = startReader(path, 'read-models')
    expect(await reader.read()).toEqual({ events: 4 })
    expect(readdirSync(dir).filter((name) => name.startsWith('read-models'))).toEqual(['read-models.db'])
    await commitNotes(2, 4)
    expect((await reader.read()).failure).toContain('has been opened for writing since')
    expect(await reader.close()).toBe(0)
    const again = startReader(path, 'read-models')
    expect(await again.read()).toEqual({ events: 6 })
    expect(await again.close()).toBe(0)
  })
})
