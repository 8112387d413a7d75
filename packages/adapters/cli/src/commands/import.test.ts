import { Readable } from 'node:stream'
import { type EventStore, hashInput, inMemoryEventStore, type StoredEvent, sha256Hex } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { readLines } from '../cli-io.js'
import { capturedIo } from '../fixtures/captured-io.js'
import { exportedText, lifecycleHistory } from '../fixtures/history-text.js'
import { ndjson } from '../fixtures/licence-commands.js'
import { jsonLines, runInProcess } from '../fixtures/run-cli.js'
import { importHistory } from './import.js'

const linesOf = (text: string) => () => readLines(Readable.from([text]))

const allEvents = async (store: EventStore): Promise<ReadonlyArray<StoredEvent>> => {
  const read = await store.readAll({ after: 0, limit: 10_000 })
  if (E.isLeft(read)) throw new Error(read.left.message)
  return read.right.events
}

/** Four licences, each recorded, applied for and issued, interleaved: 12 events over 4 streams. */
let history = ''
let historyLines: ReadonlyArray<StoredEvent> = []

beforeAll(async () => {
  history = await lifecycleHistory(4)
  historyLines = jsonLines(history) as unknown as ReadonlyArray<StoredEvent>
})

/** The history with two lines exchanged. */
const swapped = (first: number, second: number): ReadonlyArray<StoredEvent | undefined> =>
  historyLines.map((event, index) =>
    index === first ? historyLines[second] : index === second ? historyLines[first] : event,
  )

const textOf = (events: ReadonlyArray<unknown>): string => ndjson(events)

/** Imports into a fresh in-memory store; returns the exit code, stderr and what the store holds. */
const importInto = async (text: string, target: EventStore = inMemoryEventStore()) => {
  const io = capturedIo()
  const exitCode = await importHistory(target, linesOf(text), io)
  return { exitCode, stderr: io.stderrText(), stored: await allEvents(target) }
}

const rehashed = (event: StoredEvent): StoredEvent => {
  const { hash: _hash, ...draft } = event.metadata
  const hash = sha256Hex(hashInput(event.streamId, event.version, event.type, event.data, draft))
  return { ...event, metadata: { ...event.metadata, hash } }
}

describe('export', () => {
  it('writes every event once, in global order, whatever the page size', async () => {
    expect(historyLines.map((event) => event.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(Object.keys(historyLines[0] ?? {})).toEqual([
      'streamId',
      'version',
      'position',
      'type',
      'data',
      'metadata',
    ])
    const target = inMemoryEventStore()
    expect((await importInto(history, target)).exitCode).toBe(0)
    for (const pageSize of [1, 5, 12, 13]) expect(await exportedText(target, pageSize)).toBe(history)
  })
})

describe('import', () => {
  it('reproduces the history exactly: metadata, hashes, versions and global order', async () => {
    const { exitCode, stderr, stored } = await importInto(history)
    expect(exitCode).toBe(0)
    expect(stderr).toMatch(/imported 12 events in 4 streams/)
    expect(stored).toEqual(historyLines)
  })

  it('imports an empty history as nothing (exit 0)', async () => {
    expect(await importInto('')).toMatchObject({ exitCode: 0, stored: [] })
  })

  it('refuses an edited event, naming its line, with nothing written (exit 1)', async () => {
    const edited = historyLines.map((event, index) =>
      index === 5
        ? { ...event, data: { ...(event.data as object), declaredValidFrom: '2020-03-02' } }
        : event,
    )
    const { exitCode, stderr, stored } = await importInto(textOf(edited))
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/line 6: licence-\w+@1: hash does not match the event's content \(hash-mismatch\)/)
    expect(stderr).toMatch(/nothing was written/)
    expect(stored).toEqual([])
  })

  it('refuses an edited event whose hash was recomputed: the next event no longer links to it', async () => {
    const edited = historyLines.map((event, index) =>
      index === 0 ? rehashed({ ...event, data: { ...(event.data as object), classes: ['A1'] } }) : event,
    )
    const { exitCode, stderr, stored } = await importInto(textOf(edited))
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/line 5: licence-\w+@1: prevHash does not match the previous event's hash/)
    expect(stored).toEqual([])
  })

  it('refuses a deleted event in the middle of a stream (exit 1)', async () => {
    // Line 5 is the first licence's ELicenceApplied; its ELicenceIssued (line 9) becomes line 8.
    const { exitCode, stderr, stored } = await importInto(
      textOf(historyLines.filter((_, index) => index !== 4)),
    )
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/line 8: licence-\w+@2: expected version 1 \(version-gap\)/)
    expect(stored).toEqual([])
  })

  it('refuses events of one stream swapped (exit 1)', async () => {
    const { exitCode, stderr, stored } = await importInto(textOf(swapped(0, 4)))
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/line 1: licence-\w+@1: expected version 0 \(version-gap\)/)
    expect(stderr).toMatch(/lines are out of global order/)
    expect(stored).toEqual([])
  })

  it('refuses events of different streams swapped: each chain holds, the global order does not (exit 1)', async () => {
    const { exitCode, stderr, stored } = await importInto(textOf(swapped(0, 1)))
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(
      /line 2: position 1 is not after position 2 of line 1: lines are out of global order/,
    )
    expect(stderr).not.toMatch(/hash/)
    expect(stored).toEqual([])
  })

  it('refuses lines that are not stored events, listing each problem (exit 2)', async () => {
    const [first, second, third] = historyLines
    const text = [
      JSON.stringify(first),
      '{"streamId": "licence-110105194912310021", "version": -1',
      JSON.stringify({ ...second, extra: true, metadata: { ...second?.metadata, note: 'x' } }),
      JSON.stringify({ ...third, version: 'zero', metadata: { ...third?.metadata, hash: 'not-a-hash' } }),
      // The first event again with its data named twice: JSON.parse would keep the last, and an
      // auditor's parser that keeps the first would read another event under the same hash.
      `${JSON.stringify(first).slice(0, -1)},"data":{}}`,
    ].join('\n')
    const { exitCode, stderr, stored } = await importInto(text)
    expect(exitCode).toBe(2)
    expect(stderr).toMatch(/line 2: not JSON/)
    expect(stderr).toMatch(/line 3: extra: unknown field/)
    expect(stderr).toMatch(/line 3: metadata\.note: unknown field/)
    expect(stderr).toMatch(/line 4: version: /)
    expect(stderr).toMatch(/line 4: metadata\.hash: /)
    expect(stderr).toMatch(/line 5: the member "data" appears twice in the top-level object/)
    expect(stored).toEqual([])
  })

  it('refuses an event that hashes correctly but does not decode as the handler reads it (exit 2)', async () => {
    const forged = rehashed({
      ...(historyLines[0] as StoredEvent),
      data: { licenceNumber: 'nonsense' },
    })
    const { exitCode, stderr, stored } = await importInto(textOf([forged]))
    expect(exitCode).toBe(2)
    expect(stderr).toMatch(/line 1: event licence-\w+@0: /)
    expect(stored).toEqual([])
  })

  it('refuses a target that holds other events, adding nothing (exit 3)', async () => {
    const target = inMemoryEventStore()
    // Another history of the first licence: the same streams and versions, other events (ids, hashes).
    await importInto(await lifecycleHistory(1), target)
    const other = await allEvents(target)
    const { exitCode, stderr, stored } = await importInto(history, target)
    expect(exitCode).toBe(3)
    expect(stderr).toMatch(/holds events that are not this history's \(its event 1, /)
    expect(stored).toEqual(other)
  })

  it('continues an import that stopped part-way, and adds nothing after a complete one (exit 0)', async () => {
    for (const held of [1, 5, 11]) {
      const target = inMemoryEventStore()
      // What an import killed after `held` events left: the history's first events, nothing else.
      expect((await importInto(textOf(historyLines.slice(0, held)), target)).exitCode).toBe(0)
      const { exitCode, stderr, stored } = await importInto(history, target)
      expect(exitCode).toBe(0)
      expect(stderr).toContain(`the store holds the first ${held} events of this history`)
      // What this run wrote, and what the store holds now: not the history's streams as if all were new.
      expect(stderr).toMatch(
        new RegExp(
          `imported ${12 - held} more events?: the store now holds the whole history, 12 events in 4 streams`,
        ),
      )
      expect(stored).toEqual(historyLines)
    }
    const complete = inMemoryEventStore()
    await importInto(history, complete)
    const again = await importInto(history, complete)
    expect(again.exitCode).toBe(0)
    expect(again.stderr).toContain(
      'the store holds this whole history already (12 events): nothing to import',
    )
    expect(again.stored).toEqual(historyLines)
    // A longer store than the history, or one whose events come in another order, is not a prefix.
    expect((await importInto(textOf(historyLines.slice(0, 4)), complete)).exitCode).toBe(3)
    const reordered = inMemoryEventStore()
    await importInto(textOf(historyLines.slice(1, 2)), reordered)
    expect((await importInto(history, reordered)).stderr).toMatch(/not this history's \(its event 1, /)
  })

  it('stops when the store seals an event with another hash than the imported one (exit 3)', async () => {
    const inner = inMemoryEventStore()
    // A store that stamps its own recordedAt, as a careless adapter might: the chain cannot survive.
    const restamping: EventStore = {
      ...inner,
      appendToStream: (streamId, expected, events) =>
        inner.appendToStream(
          streamId,
          expected,
          events.map((event) => ({
            ...event,
            metadata: { ...event.metadata, recordedAt: new Date(0).toISOString() },
          })),
        ),
    }
    const { exitCode, stderr } = await importInto(history, restamping)
    expect(exitCode).toBe(3)
    expect(stderr).toMatch(/line 1: the store sealed licence-\w+@0 with a different hash/)
  })

  it('keeps the global order with many appends in flight, and stops at the first that fails', async () => {
    const target = inMemoryEventStore()
    const io = capturedIo()
    expect(await importHistory(target, linesOf(history), io, { inFlight: 8 })).toBe(0)
    expect(await allEvents(target)).toEqual(historyLines)

    const inner = inMemoryEventStore()
    let appends = 0
    // The fifth append fails; the four before it stand, and the failure names its line.
    const failingFifth: EventStore = {
      ...inner,
      appendToStream: (streamId, expected, events) =>
        ++appends === 5
          ? Promise.resolve(E.left({ code: 'store-failure', message: 'disk full' }))
          : inner.appendToStream(streamId, expected, events),
    }
    const failed = capturedIo()
    expect(await importHistory(failingFifth, linesOf(history), failed, { inFlight: 8 })).toBe(3)
    expect(failed.stderrText()).toMatch(/lines 5–5 \(licence-\w+@1\): disk full/)
    expect((await allEvents(inner)).slice(0, 4)).toEqual(historyLines.slice(0, 4))
  })

  it('runs as a command from standard input, copying it aside to read it twice', async () => {
    const run = await runInProcess(['import', '--store', 'memory:'], history)
    expect(run).toMatchObject({ exitCode: 0, stdout: '' })
    expect(run.stderr).toMatch(/imported 12 events in 4 streams/)
  })

  it('refuses bad arguments with usage (exit 2)', async () => {
    const run = await runInProcess(['import', '--store', 'memory:', '--force'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/Usage: elicence import/)
  })
})
