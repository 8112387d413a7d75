/**
 * The command handler of DESIGN §4: decode → load the stream → fold → decide → append with the
 * expected version → return the new events. On a version conflict it reloads and decides again, up
 * to `maxAttempts` times. It is idempotent by `commandId`, durably: the id is stored with every
 * event, so a command already on the stream returns its first outcome and appends nothing, after a
 * restart too; the same id with a different body is refused (`command-id-reused`).
 *
 * @example
 * const handle = commandHandler({ store: inMemoryEventStore(), decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
 * const outcome = await handle(json) // Either<HandlerError, { events, version, replayed }>
 */
import * as E from 'fp-ts/lib/Either.js'
import {
  currentSchemaVersion,
  defaultStoredEventDecoder,
  type StoredEventDecoder,
} from '../history/decoder.js'
import { readDecodedStream } from '../history/reader.js'
import { canonicalJson } from '../integrity/canonical-json.js'
import { type Digest, sha256Hex } from '../integrity/sha256.js'
import { parseCommand } from '../licence/commands.js'
import type { LicenceDecider } from '../licence/decider.js'
import { licenceError } from '../licence/errors.js'
import type { LicenceState } from '../licence/state.js'
import {
  type ConcurrencyConflict,
  concurrencyConflict,
  type EventStore,
  isConcurrencyConflict,
  type NewEvent,
  type StoredEvent,
} from '../store/port.js'
import { streamIdFor } from '../store/streams.js'
import type { HandlerError } from './errors.js'

export interface CommandOutcome {
  readonly events: ReadonlyArray<StoredEvent>
  /** The stream's version after the command. */
  readonly version: number
  /** True when the command was already recorded and nothing was appended now. */
  readonly replayed: boolean
}

export type CommandHandler = (json: unknown) => Promise<E.Either<HandlerError, CommandOutcome>>

export interface CommandHandlerOptions {
  readonly store: EventStore
  readonly decider: LicenceDecider
  /** Attempts before a conflict is reported; each reloads the stream and decides again. */
  readonly maxAttempts?: number
  readonly clock?: () => Date
  readonly newEventId?: () => string
  /** How stored events are read: the embedder's upcasters, bound once (`storedEventDecoder`). */
  readonly decoder?: StoredEventDecoder
  /**
   * SHA-256 as hex for the command hash; `@noble/hashes` by default. On Node, `nodeSha256Hex` from
   * `@elicence/projections/node` is faster (about 2 µs against 11 µs for a 700-byte command).
   */
  readonly digest?: Digest
}

export const commandHandler = (options: CommandHandlerOptions): CommandHandler => {
  const { store, decider } = options
  const maxAttempts = options.maxAttempts ?? 5
  const clock = options.clock ?? (() => new Date())
  const newEventId = options.newEventId ?? (() => crypto.randomUUID())
  const decoder = options.decoder ?? defaultStoredEventDecoder
  const digest = options.digest ?? sha256Hex

  return async (json) => {
    const parsed = parseCommand(json)
    if (E.isLeft(parsed)) return parsed
    const command = parsed.right
    const { commandId, actor, at } = command.metadata
    const streamId = streamIdFor(command.data.licenceNumber)
    // `at` is left out: a transport that stamps the time may re-send the same command later.
    const commandHash = digest(canonicalJson({ type: command.type, data: command.data, actor }))

    let conflict: ConcurrencyConflict | undefined
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const read = await readDecodedStream(store, streamId, decoder)
      if (E.isLeft(read)) return read

      let state: LicenceState = decider.initialState
      const earlier: StoredEvent[] = []
      for (const [index, decoded] of read.right.events.entries()) {
        const stored = read.right.stored[index] as StoredEvent
        if (stored.metadata.commandId === commandId) earlier.push(stored)
        state = decider.evolve(state, decoded)
      }
      if (earlier.length > 0) {
        if (earlier.some((event) => event.metadata.commandHash !== commandHash)) {
          return E.left(
            licenceError(
              'command-id-reused',
              `command ${commandId} was already used for a different command`,
            ),
          )
        }
        return E.right({
          events: earlier,
          version: earlier[earlier.length - 1]?.version ?? read.right.version,
          replayed: true,
        })
      }

      const decision = decider.decide(command, state)
      if (E.isLeft(decision)) return decision

      const recordedAt = clock().toISOString()
      const events: NewEvent[] = decision.right.map((event) => ({
        type: event.type,
        data: event.data,
        metadata: {
          eventId: newEventId(),
          commandId,
          commandHash,
          actor,
          at,
          recordedAt,
          schemaVersion: currentSchemaVersion,
          rulesVersion: decider.rulesVersion,
        },
      }))
      const expected = read.right.version === -1 ? 'no-stream' : read.right.version
      const appended = await store.appendToStream(streamId, expected, events)
      if (E.isRight(appended)) return E.right({ ...appended.right, replayed: false })
      if (!isConcurrencyConflict(appended.left)) return appended
      conflict = appended.left
    }
    // The last conflict's versions, so the sender learns where the stream stood.
    const last = conflict ?? concurrencyConflict(streamId, 'any', -1)
    return E.left({
      ...last,
      message: `stream ${streamId} kept changing: gave up after ${maxAttempts} attempts (last expected ${String(last.expected)}, found ${last.actual})`,
    })
  }
}
