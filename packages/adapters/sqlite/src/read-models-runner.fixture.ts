/**
 * The projection runner in a process of its own, for the kill test: it projects the event store file
 * given on the command line into the read-model file, one event per transaction, and tells its
 * parent each position it committed — until the parent kills it. Run by `read-models.int.test.ts`.
 *
 * @example
 * fork('read-models-runner.fixture.ts', [eventsPath, readModelsPath, projection], { execArgv })
 */
import { projectionRunner } from '@elicence/projections'
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

const runner = projectionRunner({
  events: sqliteEventStore({ path: eventsPath }),
  readModels: sqliteReadModelStore({ path: readModelsPath }),
  projection,
  batchSize: 1,
  onBatch: ({ checkpoint }) => process.send?.({ position: checkpoint.position }),
})
await runner.catchUp()
process.send({ done: true })
