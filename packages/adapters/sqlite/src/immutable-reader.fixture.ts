/**
 * A reader in a process of its own, for the test of a file read immutably while a writer opens it:
 * opens the store given on the command line read-only (the event store, or with `read-models` the
 * read-model store) and, for each line on its standard input, reads the whole log (or the read
 * models' `views`/`notes` collection) and writes one JSON line, `{ "events": n }` (events or
 * documents) or `{ "failure": message }`. Run
 * by `immutable-reads.int.test.ts` as another user than the file's owner, not alone.
 *
 * @example
 * spawn(process.execPath, [...execArgv, 'immutable-reader.fixture.ts', dbPath], { uid, gid })
 */
import { createInterface } from 'node:readline'
import * as E from 'fp-ts/lib/Either.js'
import { openSqliteReadModelStore } from './read-models.js'
import { openSqliteEventStore } from './sqlite-store.js'

const [path, kind = 'events'] = process.argv.slice(2)
if (path === undefined) throw new Error('usage: a database path [events | read-models]')

/** One read of the whole file: the log's events, or the documents of the read models' one collection. */
const reader = async (): Promise<{
  readonly read: () => Promise<E.Either<{ readonly message: string }, number>>
  readonly close: () => Promise<void>
}> => {
  if (kind === 'read-models') {
    const opened = openSqliteReadModelStore({ path, readOnly: true })
    if (E.isLeft(opened)) return failed(opened.left.message)
    const store = opened.right
    return {
      read: async () =>
        E.map((documents: ReadonlyArray<unknown>) => documents.length)(await store.list('views', 'notes')),
      close: store.close,
    }
  }
  const opened = openSqliteEventStore({ path, readOnly: true })
  if (E.isLeft(opened)) return failed(opened.left.message)
  const store = opened.right
  return {
    read: async () =>
      E.map((read: { readonly events: ReadonlyArray<unknown> }) => read.events.length)(
        await store.readAll({ after: 0, limit: 100_000 }),
      ),
    close: store.close,
  }
}

const failed = (message: string): never => {
  process.stdout.write(`${JSON.stringify({ failure: message })}\n`)
  process.exit(0)
}

const opened = await reader()
for await (const _ of createInterface({ input: process.stdin })) {
  const read = await opened.read()
  process.stdout.write(
    `${JSON.stringify(E.isLeft(read) ? { failure: read.left.message } : { events: read.right })}\n`,
  )
}
await opened.close()
