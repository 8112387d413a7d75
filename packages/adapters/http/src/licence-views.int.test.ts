// `licenceViews`, the credential route's reader of a licence: each read is what folding the whole
// stream gives (`readLicenceStream` and the e-licence view) as the store holds it then, whether the
// fold was continued from a kept head or read whole; a kept head the stream no longer holds, a store
// without `readStreamAfter`, an event that does not decode and a failing store all fall back or fail
// as a whole read would; the holder rule is `readLicenceStreamAs`'s.
import { type Actor, defaultStoredEventDecoder, type EventStore, type LicenceNumber } from '@elicence/domain'
import { eLicenceView, foldView } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it } from 'vitest'
import { readLicenceStream } from './licence-stream.js'
import { licenceViews } from './licence-views.js'
import {
  applyCommand,
  licenceNumber,
  otherLicenceNumber,
  recordLicenceCommand,
  reviewCommand,
  sendCommand,
  startTestServer,
  type TestServer,
  testTokens as tokens,
} from './test-support/test-server.js'

const number = licenceNumber as LicenceNumber
const registry = { role: 'registry', id: 'registry-1' } as Actor
const decoder = defaultStoredEventDecoder

/** A store that counts whole reads and reads after a version, and may be told to misreport. */
const counted = (store: EventStore, options: { readonly after?: boolean; readonly hashAt?: string } = {}) => {
  const counts = { whole: 0, after: 0 }
  const wrapped: Pick<EventStore, 'readStream' | 'readStreamAfter'> = {
    readStream: (streamId) => {
      counts.whole++
      return store.readStream(streamId)
    },
    ...(options.after === false
      ? {}
      : {
          readStreamAfter: async (streamId: string, after: number) => {
            counts.after++
            const read = await (store.readStreamAfter?.(streamId, after) ?? Promise.reject(new Error('none')))
            return options.hashAt === undefined || E.isLeft(read)
              ? read
              : E.right({ ...read.right, hashAt: options.hashAt })
          },
        }),
  }
  return { store: wrapped, counts }
}

/** What folding the whole stream gives. */
const wholeFold = async (store: EventStore) => {
  const read = await readLicenceStream({ store, decoder }, number)
  if (E.isLeft(read)) throw new Error(JSON.stringify(read.left.body))
  return {
    version: read.right.version,
    state: read.right.state,
    view: foldView(eLicenceView, read.right.events),
  }
}

let running: TestServer | undefined
afterEach(async () => {
  await running?.app.close()
  running = undefined
})

describe('licenceViews', () => {
  it('continues a kept fold with the events since, equal to a whole fold at every step', async () => {
    running = await startTestServer()
    const { store, counts } = counted(running.store)
    const views = licenceViews({ store, decoder })
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    const recorded = await views.readAs(registry, number)
    expect(recorded).toEqual(E.right(expect.objectContaining(await wholeFold(running.store))))
    await sendCommand(running, tokens.holder, applyCommand())
    running.setNow('2026-10-16T10:00:00+08:00')
    await sendCommand(running, tokens.reviewer, reviewCommand())
    const issued = await views.readAs(registry, number)
    expect(issued).toEqual(E.right(expect.objectContaining(await wholeFold(running.store))))
    expect(E.isRight(issued) && issued.right.view?.eLicenceId).toEqual(expect.any(String))
    // Nothing new: still the same, from one narrow read.
    expect(await views.readAs(registry, number)).toEqual(issued)
    expect(counts).toEqual({ whole: 1, after: 2 })
  })

  it('reads the stream whole when the kept head is not the stream’s, or the store cannot read after a version', async () => {
    running = await startTestServer()
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    await sendCommand(running, tokens.holder, applyCommand())
    const replaced = counted(running.store, { hashAt: 'f'.repeat(64) })
    const onReplaced = licenceViews({ store: replaced.store, decoder })
    const without = counted(running.store, { after: false })
    const onWithout = licenceViews({ store: without.store, decoder })
    for (let round = 0; round < 3; round++) {
      expect(await onReplaced.readAs(registry, number)).toEqual(
        E.right(expect.objectContaining(await wholeFold(running.store))),
      )
      expect(await onWithout.readAs(registry, number)).toEqual(
        E.right(expect.objectContaining(await wholeFold(running.store))),
      )
    }
    expect(replaced.counts).toEqual({ whole: 3, after: 2 })
    expect(without.counts).toEqual({ whole: 3, after: 0 })
  })

  it('keeps only so many streams, forgetting the least recently read', async () => {
    running = await startTestServer()
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    await sendCommand(running, tokens.registry, recordLicenceCommand(otherLicenceNumber, 'acct-other'))
    const { store, counts } = counted(running.store)
    const views = licenceViews({ store, decoder }, 1)
    const other = otherLicenceNumber as LicenceNumber
    for (const read of [number, other, number, number])
      expect(E.isRight(await views.readAs(registry, read))).toBe(true)
    expect(counts).toEqual({ whole: 3, after: 1 })
  })

  it('fails as a whole read would: 500 for a new event that does not decode, 503 for a failing store; then reads whole again', async () => {
    running = await startTestServer()
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    const source = running.store
    let mode: 'ok' | 'corrupt' | 'failing' = 'ok'
    const store: Pick<EventStore, 'readStream' | 'readStreamAfter'> = {
      readStream: (streamId) => source.readStream(streamId),
      readStreamAfter: async (streamId, after) => {
        if (mode === 'failing') return E.left({ code: 'store-failure', message: 'disk gone' })
        const read = await (source.readStreamAfter?.(streamId, after) ?? Promise.reject(new Error('none')))
        if (mode === 'ok' || E.isLeft(read)) return read
        return E.right({
          ...read.right,
          events: read.right.events.map((event) => ({ ...event, type: 'Unheard' })),
        })
      },
    }
    const views = licenceViews({ store, decoder })
    expect(E.isRight(await views.readAs(registry, number))).toBe(true)
    await sendCommand(running, tokens.holder, applyCommand())
    mode = 'corrupt'
    const corrupt = await views.readAs(registry, number)
    expect(E.isLeft(corrupt) && corrupt.left.status).toBe(500)
    mode = 'failing'
    // The fold was forgotten: this read is whole and does not ask the failing read.
    expect(await views.readAs(registry, number)).toEqual(
      E.right(expect.objectContaining(await wholeFold(source))),
    )
    const failed = await views.readAs(registry, number)
    expect(E.isLeft(failed) && failed.left.status).toBe(503)
  })

  it('lets a holder read only their own licence, kept or not, and says 404 for one never recorded', async () => {
    running = await startTestServer()
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    const views = licenceViews({ store: running.store, decoder })
    const holder = { role: 'holder', id: 'acct-holder' } as Actor
    const stranger = { role: 'holder', id: 'acct-other' } as Actor
    for (let round = 0; round < 2; round++) {
      expect(E.isRight(await views.readAs(holder, number))).toBe(true)
      const refused = await views.readAs(stranger, number)
      expect(E.isLeft(refused) && refused.left.status).toBe(403)
    }
    const never = await views.readAs(registry, otherLicenceNumber as LicenceNumber)
    expect(E.isLeft(never) && never.left.status).toBe(404)
    const neverAsHolder = await views.readAs(stranger, otherLicenceNumber as LicenceNumber)
    expect(E.isLeft(neverAsHolder) && neverAsHolder.left.status).toBe(403)
  })
})
