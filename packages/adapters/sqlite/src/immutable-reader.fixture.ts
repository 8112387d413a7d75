/**
 * A reader in a process of its own, for the test of a file read immutably while a writer opens it:
 * opens the store given on the command line read-only and, for each line on its standard input,
 * reads the whole log and writes one JSON line, `{ "events": n }` or `{ "failure": message }`. Run
 * by `immutable-reads.int.test.ts` as another user than the file's owner, not alone.
 *
 * @example
 * spawn(process.execPath, [...execArgv, 'immutable-reader.fixture.ts', dbPath], { uid, gid })
 */
import { createInterface } from 'node:readline'
import * as E from 'fp-ts/lib/Either.js'
import { openSqliteEventStore } from './sqlite-store.js'

const [path] = process.argv.slice(2)
if (path === undefined) throw new Error('usage: a database path')

const opened = openSqliteEventStore({ path, readOnly: true })
if (E.isLeft(opened)) {
  process.stdout.write(`${JSON.stringify({ failure: opened.left.message })}\n`)
  process.exit(0)
}
const store = opened.right
for await (const _ of createInterface({ input: process.stdin })) {
  const read = await store.readAll({ after: 0, limit: 100_000 })
  process.stdout.write(
    `${JSON.stringify(E.isLeft(read) ? { failure: read.left.message } : { events: read.right.events.length })}\n`,
  )
}
await store.close()
