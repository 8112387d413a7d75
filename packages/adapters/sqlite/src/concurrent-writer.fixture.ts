/**
 * One writer process of the two-processes test: opens the store file given on the command line,
 * tells its parent it is ready, and on "go" sends its commands through the handler one after
 * another, then reports every outcome and exits. Run by `two-processes.int.test.ts`, not alone.
 *
 * @example
 * fork('concurrent-writer.fixture.ts', [dbPath], { execArgv }) // then send { commands }, then 'go'
 */
import { chinaMainlandCalendar, commandHandler, licenceDecider } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { sqliteEventStore } from './sqlite-store.js'

export interface WriterOutcome {
  readonly commandId: string
  /** `appended`, `replayed`, or the error code of a refusal. */
  readonly outcome: string
  readonly versions: ReadonlyArray<number>
}

export type WriterMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly outcomes: ReadonlyArray<WriterOutcome> }

const [path] = process.argv.slice(2)
if (path === undefined || process.send === undefined)
  throw new Error('usage: fork with IPC and a database path')
const send = (message: WriterMessage) => process.send?.(message)

const store = sqliteEventStore({ path })
const handle = commandHandler({ store, decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
let commands: ReadonlyArray<{ readonly metadata: { readonly commandId: string } }> = []

process.on('message', async (message: { readonly commands?: typeof commands } | 'go') => {
  if (message !== 'go') {
    commands = message.commands ?? []
    send({ kind: 'ready' })
    return
  }
  const outcomes: WriterOutcome[] = []
  for (const command of commands) {
    const result = await handle(command)
    outcomes.push({
      commandId: command.metadata.commandId,
      outcome: E.isLeft(result) ? result.left.code : result.right.replayed ? 'replayed' : 'appended',
      versions: E.isLeft(result) ? [] : result.right.events.map((event) => event.version),
    })
  }
  await store.close()
  send({ kind: 'done', outcomes })
  process.disconnect()
})
