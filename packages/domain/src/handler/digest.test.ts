// Which SHA-256 the handler hashes commands with: its own option, else the store's, else the
// domain's; every one gives the same command hash, the SHA-256 of the command's canonical JSON.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { canonicalJson } from '../integrity/canonical-json.js'
import { sha256Hex } from '../integrity/sha256.js'
import type { RecordLicence } from '../licence/commands.js'
import { licenceDecider } from '../licence/decider.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import type { EventStore } from '../store/port.js'
import { coveredStartArb, recordLicenceArb } from '../testing/index.js'
import { commandHandler } from './handler.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
// A valid RecordLicence of the testing arbitraries, sent when the handler's clock reads its instant.
const [record] = fc.sample(recordLicenceArb(coveredStartArb), { numRuns: 1, seed: 9 }) as [RecordLicence]
const expectedHash = sha256Hex(
  canonicalJson({ type: record.type, data: record.data, actor: record.metadata.actor }),
)
const clock = () => new Date(record.metadata.at)

const recording = () => {
  const texts: string[] = []
  const digest = (text: string) => {
    texts.push(text)
    return sha256Hex(text)
  }
  return { texts, digest }
}

const commandHashOf = async (store: EventStore, digest?: (text: string) => string) => {
  const handle = commandHandler({ store, decider, clock, ...(digest === undefined ? {} : { digest }) })
  const outcome = await handle(record)
  if (E.isLeft(outcome)) throw new Error(outcome.left.message)
  return outcome.right.events[0]?.metadata.commandHash
}

describe('the command hash', () => {
  it("uses the store's digest when the handler is given none", async () => {
    const store = recording()
    expect(await commandHashOf(inMemoryEventStore({ digest: store.digest }))).toBe(expectedHash)
    // The command, then the event it appended.
    expect(store.texts).toHaveLength(2)
  })

  it("uses the handler's own digest before the store's", async () => {
    const store = recording()
    const handler = recording()
    expect(await commandHashOf(inMemoryEventStore({ digest: store.digest }), handler.digest)).toBe(
      expectedHash,
    )
    expect(handler.texts).toHaveLength(1)
    expect(store.texts).toHaveLength(1)
  })

  it("uses the domain's SHA-256 when neither has one", async () => {
    const { digest: _none, ...withoutDigest } = inMemoryEventStore()
    expect(await commandHashOf(withoutDigest)).toBe(expectedHash)
  })
})
