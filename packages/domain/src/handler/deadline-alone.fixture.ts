// A process whose one command waits for a store that never answers, and nothing else: run by
// store-faults.test.ts to show that the deadline still comes (the process must not just exit with
// the command unanswered). Prints the outcome's code and message.
import * as E from 'fp-ts/lib/Either.js'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { licenceDecider } from '../licence/decider.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import { validRecord } from '../testing/invalid-commands.js'
import { commandHandler } from './handler.js'

const handle = commandHandler({
  store: { ...inMemoryEventStore(), decideAndAppend: () => new Promise(() => undefined) },
  decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
  clock: () => new Date('2026-10-01T01:00:00Z'),
  storeDeadlineMs: 300,
})
const outcome = await handle(validRecord())
console.log(E.isLeft(outcome) ? `${outcome.left.code}: ${outcome.left.message}` : 'appended')
