/**
 * The transparency log's projection in a process of its own, for the kill test: it appends the
 * event store file's events to the log kept in the read-model file, one event per transaction, and
 * tells its parent each tree size it committed — until the parent kills it. Run by
 * `log-projection.int.test.ts`.
 *
 * @example
 * fork('log-follower.fixture.ts', [eventsPath, readModelsPath, projection], { execArgv })
 */
import { createHash } from 'node:crypto'
import { transparencyLog } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { sqliteReadModelStore } from './read-models.js'
import { sqliteEventStore } from './sqlite-store.js'

const [eventsPath, readModelsPath, projection] = process.argv.slice(2)
if (
  eventsPath === undefined ||
  readModelsPath === undefined ||
  projection === undefined ||
  process.send === undefined
)
  throw new Error('usage: fork with IPC, an event store path, a read-model path and a projection name')

const log = transparencyLog({
  events: sqliteEventStore({ path: eventsPath }),
  readModels: sqliteReadModelStore({ path: readModelsPath }),
  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  projection,
  batchSize: 1,
})
for (;;) {
  const stepped = await log.step()
  if (E.isLeft(stepped)) throw new Error(stepped.left.message)
  if (stepped.right.appended === 0) break
  process.send({ size: stepped.right.head.size })
}
process.send({ done: true })
