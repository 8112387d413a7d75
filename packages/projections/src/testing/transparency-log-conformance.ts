/**
 * The conformance suite of the transparency log over a ReadModelStore (in memory here, SQLite and
 * PostgreSQL in their adapters): the tree has the root of RFC 9162's definition over the events'
 * hashes in global order, with dense leaves where positions have gaps; a log that dies before a
 * commit, or races another follower, resumes with never a leaf twice or missing; every proof it
 * gives verifies; signed checkpoints are kept, one per tree size and signer (key and origin), none
 * ever replaced by another's.
 *
 * @example
 * transparencyLogConformance('sqlite', async () => sqliteReadModelStore({ path }), sha256)
 */
import type { EventStore, StoredEvent } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { openCheckpoint } from '../log/checkpoint.js'
import { type TransparencyLog, transparencyLog } from '../log/log-projection.js'
import { leafHash, rootOfLeafHashes, type Sha256 } from '../log/merkle.js'
import { verifyConsistency, verifyInclusion } from '../log/merkle-verify.js'
import {
  fromBase64,
  generateNoteKey,
  noteKeyTypes,
  parseSignerKey,
  parseVerifierKey,
} from '../log/note-keys.js'
import type { ReadModelStore } from '../read-models/port.js'
import { type HistoryScript, historyScriptArbitrary } from './histories.js'
import { dyingAfter } from './read-model-store-conformance.js'
import { runHistoryScript } from './run-history.js'

const hexBytes = (hex: string) =>
  Uint8Array.from({ length: hex.length / 2 }, (_, at) => Number.parseInt(hex.slice(at * 2, at * 2 + 2), 16))

const right = <A>(either: E.Either<{ readonly message: string } | string, A>): A => {
  if (E.isLeft(either)) throw new Error(typeof either.left === 'string' ? either.left : either.left.message)
  return either.right
}

/** The events with positions spread apart (3, 6, 9, …), as a store with gaps shows them. */
const withGaps = (events: ReadonlyArray<StoredEvent>): Pick<EventStore, 'readAll'> => ({
  readAll: async ({ after, limit }) => {
    const page = events
      .map((event) => ({ ...event, position: event.position * 3 }))
      .filter((event) => event.position > after)
      .slice(0, limit)
    return E.right({ events: page, lastPosition: page[page.length - 1]?.position ?? after })
  },
})

export const transparencyLogConformance = (
  name: string,
  open: () => Promise<ReadModelStore>,
  sha256: Sha256,
  options: { readonly numRuns?: number } = {},
): void => {
  const numRuns = options.numRuns ?? 15
  let projections = 0
  const fresh = () => `log-conformance-${Date.now().toString(36)}-${projections++}`
  const rootOf = (events: ReadonlyArray<StoredEvent>) =>
    rootOfLeafHashes(
      sha256,
      events.map((event) => leafHash(sha256, hexBytes(event.metadata.hash))),
    )

  const expectProofs = async (log: TransparencyLog, events: ReadonlyArray<StoredEvent>, probe: number) => {
    const size = events.length
    const index = probe % size
    const root = rootOf(events)
    const inclusion = right(await log.inclusionProof(index, size))
    expect(inclusion.treeSize).toBe(size)
    expect(inclusion.leafIndex).toBe(index)
    const leaf = leafHash(sha256, hexBytes((events[index] as StoredEvent).metadata.hash))
    const path = inclusion.hashes.map((hash) => fromBase64(hash) as Uint8Array)
    expect(verifyInclusion(sha256, index, size, leaf, path, root)).toBe(true)
    const from = 1 + (probe % size)
    const consistency = right(await log.consistencyProof(from, size))
    // No proof from the empty tree (RFC 9162 §2.1.4, Go's tlog): refused, saying why.
    expect(await log.consistencyProof(0, size)).toEqual(
      E.left(
        expect.objectContaining({
          code: 'log-range',
          message: expect.stringMatching(/^from 0: the empty tree needs no proof/),
        }),
      ),
    )
    const fromRoot = rootOf(events.slice(0, from))
    expect(right(await log.rootAt(from))).toEqual(fromRoot)
    const hashes = consistency.hashes.map((hash) => fromBase64(hash) as Uint8Array)
    expect(verifyConsistency(sha256, from, size, hashes, fromRoot, root)).toBe(true)
  }

  describe(`transparency log conformance: ${name}`, () => {
    it('builds the RFC 9162 tree of the global order, dense where positions have gaps, and proves every leaf', async () => {
      const store = await open()
      await fc.assert(
        fc.asyncProperty(
          historyScriptArbitrary({ maxSteps: 25 }),
          fc.integer({ min: 1, max: 7 }),
          fc.nat(),
          async (script, batchSize, probe) => {
            const { events } = await runHistoryScript(script)
            const log = transparencyLog({
              events: withGaps(events),
              readModels: store,
              sha256,
              projection: fresh(),
              batchSize,
            })
            const head = right(await log.catchUp())
            expect(head.size).toBe(events.length)
            expect(head.root).toEqual(rootOf(events))
            expect(head.position).toBe((events[events.length - 1]?.position ?? 0) * 3)
            if (events.length > 0) await expectProofs(log, events, probe)
          },
        ),
        { numRuns },
      )
      await store.close()
    })

    it('resumes after dying before any commit, and beside a racing follower, with never a leaf twice or missing', async () => {
      const store = await open()
      await fc.assert(
        fc.asyncProperty(
          historyScriptArbitrary({ maxSteps: 25 }),
          fc.integer({ min: 0, max: 8 }),
          fc.integer({ min: 1, max: 4 }),
          async (script, dieAfter, batchSize) => {
            const { store: events, events: all } = await runHistoryScript(script)
            const projection = fresh()
            const dying = transparencyLog({
              events,
              readModels: dyingAfter(store, dieAfter),
              sha256,
              projection,
              batchSize,
            })
            await dying.catchUp()
            // A new process and a second follower at once: each commit requires the checkpoint it read.
            const [a, b] = [1, 2].map((n) =>
              transparencyLog({ events, readModels: store, sha256, projection, batchSize: batchSize + n }),
            )
            const [headA, headB] = await Promise.all([a?.catchUp(), b?.catchUp()])
            for (const head of [headA, headB])
              expect(right(head as E.Either<{ message: string }, { size: number }>).size).toBe(all.length)
            const final = right(
              await transparencyLog({ events, readModels: store, sha256, projection }).head(),
            )
            expect(final.size).toBe(all.length)
            expect(final.root).toEqual(rootOf(all))
          },
        ),
        { numRuns },
      )
      await store.close()
    })

    it('ends a catch-up at the head it began with while events keep arriving, with or without headPosition', async () => {
      const store = await open()
      const { events: seed } = await runHistoryScript(
        fc.sample(historyScriptArbitrary({ minSteps: 6, maxSteps: 20 }), {
          numRuns: 1,
          seed: 11,
        })[0] as HistoryScript,
      )
      for (const withHead of [true, false]) {
        // Every read of the log commits another event, as a busy service would between two pages
        // (copies of the seed's, at new positions: the tree reads only their hashes).
        const events: StoredEvent[] = [...seed]
        const arrive = () => {
          const model = seed[events.length % seed.length] as StoredEvent
          events.push({ ...model, position: events.length + 1 })
        }
        const busy: Pick<EventStore, 'readAll' | 'headPosition'> = {
          readAll: async ({ after, limit }) => {
            // A turn of the event loop, as a real store's read: a catch-up that never ends then
            // fails by the test's timeout rather than holding the thread.
            await new Promise((resolve) => setImmediate(resolve))
            const page = events.filter((event) => event.position > after).slice(0, limit)
            arrive()
            return E.right({ events: page, lastPosition: page[page.length - 1]?.position ?? after })
          },
          ...(withHead ? { headPosition: async () => E.right(events.length) } : {}),
        }
        const log = transparencyLog({
          events: busy,
          readModels: store,
          sha256,
          projection: fresh(),
          // Two reads a page, so two events arrive while three are appended: without a head to
          // stop at, the catch-up ends at its first page short of full.
          batchSize: 3,
        })
        const atStart = events.length
        const head = right(await log.catchUp())
        expect([withHead, head.size >= atStart, head.size < events.length]).toEqual([withHead, true, true])
        expect(head.root).toEqual(rootOf(events.slice(0, head.size)))
      }
      await store.close()
    })

    it('keeps a signed checkpoint per tree size that opens with the log key; refuses proofs beyond the tree', async () => {
      const store = await open()
      const keys = right(await generateNoteKey('licences.example.cn/elicence/log', noteKeyTypes.ed25519))
      const signer = right(await parseSignerKey(keys.signerKey))
      const verifier = right(await parseVerifierKey(keys.verifierKey))
      const { store: events, events: all } = await runHistoryScript(
        fc.sample(historyScriptArbitrary({ minSteps: 6, maxSteps: 20 }), {
          numRuns: 1,
          seed: 7,
        })[0] as HistoryScript,
      )
      const half = Math.ceil(all.length / 2)
      const firstHalf: Pick<EventStore, 'readAll'> = {
        readAll: async (read) => {
          const page = await events.readAll({
            ...read,
            limit: Math.max(0, Math.min(read.limit, half - read.after)),
          })
          return page
        },
      }
      const projection = fresh()
      const early = transparencyLog({ events: firstHalf, readModels: store, sha256, projection })
      right(await early.catchUp())
      const first = right(await early.signCheckpoint(signer))
      expect(right(await early.signCheckpoint(signer))).toEqual(first)
      const log = transparencyLog({ events, readModels: store, sha256, projection })
      right(await log.catchUp())
      const second = right(await log.signCheckpoint(signer))
      expect(right(await log.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([half, all.length])
      expect(right(await log.latestCheckpoint(signer))).toEqual(second)
      const opened = right(await openCheckpoint(second.note, verifier))
      expect(opened.size).toBe(all.length)
      expect(opened.root).toEqual(rootOf(all))
      expect(right(await openCheckpoint(first.note, verifier)).root).toEqual(rootOf(all.slice(0, half)))
      expect(await log.inclusionProof(all.length, all.length)).toEqual(
        E.left(expect.objectContaining({ code: 'log-range' })),
      )
      expect(await log.inclusionProof(0, all.length + 1)).toEqual(
        E.left(expect.objectContaining({ code: 'log-range' })),
      )
      expect(await log.consistencyProof(3, 2)).toEqual(E.left(expect.objectContaining({ code: 'log-range' })))
      await store.close()
    })

    it('neither grows nor signs a tree whose last leaf left the store: deleted, or moved to a later position', async () => {
      const store = await open()
      const keys = right(await generateNoteKey('licences.example.cn/elicence/log', noteKeyTypes.ed25519))
      const signer = right(await parseSignerKey(keys.signerKey))
      const { events: all } = await runHistoryScript(
        fc.sample(historyScriptArbitrary({ minSteps: 6, maxSteps: 20 }), {
          numRuns: 1,
          seed: 11,
        })[0] as HistoryScript,
      )
      const last = all[all.length - 1] as StoredEvent
      const served = (events: ReadonlyArray<StoredEvent>): Pick<EventStore, 'readAll'> => ({
        readAll: async ({ after, limit }) => {
          const page = events.filter((event) => event.position > after).slice(0, limit)
          return E.right({ events: page, lastPosition: page[page.length - 1]?.position ?? after })
        },
      })
      const edits: ReadonlyArray<[string, ReadonlyArray<StoredEvent>]> = [
        ['deleted', all.slice(0, -1)],
        // The same event again at a later position: appended, it would be a second leaf of one event.
        ['moved', [...all.slice(0, -1), { ...last, position: last.position + 100 }]],
      ]
      for (const [edit, events] of edits) {
        const projection = fresh()
        const log = transparencyLog({ events: served(all), readModels: store, sha256, projection })
        const before = right(await log.catchUp())
        const edited = transparencyLog({ events: served(events), readModels: store, sha256, projection })
        const grown = await edited.catchUp()
        const signed = await edited.signCheckpoint(signer)
        for (const refused of [signed, ...(edit === 'moved' ? [grown] : [])])
          expect(refused, edit).toEqual(
            E.left(
              expect.objectContaining({
                code: 'corrupt-event',
                message: expect.stringMatching(/no longer in the store as it was appended/),
              }),
            ),
          )
        expect(right(await edited.head()).size, edit).toBe(before.size)
        expect(right(await edited.checkpoints()), edit).toEqual([])
      }
      await store.close()
    })

    it('never replaces a kept checkpoint with a note of another origin or key, and gives each signer its own', async () => {
      const store = await open()
      const origin = 'licences.example.cn/elicence/log'
      const own = right(
        await parseSignerKey(right(await generateNoteKey(origin, noteKeyTypes.ed25519)).signerKey),
      )
      const other = right(
        await parseSignerKey(right(await generateNoteKey(origin, noteKeyTypes.ed25519)).signerKey),
      )
      const { store: events } = await runHistoryScript(
        fc.sample(historyScriptArbitrary({ minSteps: 3, maxSteps: 6 }), {
          numRuns: 1,
          seed: 11,
        })[0] as HistoryScript,
      )
      const log = transparencyLog({ events, readModels: store, sha256, projection: fresh() })
      right(await log.catchUp())
      const ours = right(await log.signCheckpoint(own))
      const foreignOrigin = right(await log.signCheckpoint(own, 'other.example/log'))
      const foreignKey = right(await log.signCheckpoint(other))
      expect(foreignOrigin.note.startsWith('other.example/log\n')).toBe(true)
      expect(foreignKey.note).not.toBe(ours.note)
      // Each is kept, none in another's place, and each signer's latest is its own.
      expect(right(await log.latestCheckpoint(own))).toEqual(ours)
      expect(right(await log.latestCheckpoint(own, 'other.example/log'))).toEqual(foreignOrigin)
      expect(right(await log.latestCheckpoint(other))).toEqual(foreignKey)
      expect(right(await log.signCheckpoint(own))).toEqual(ours)
      const kept = right(await log.checkpoints()).map((checkpoint) => checkpoint.note)
      expect(kept.sort()).toEqual([ours.note, foreignOrigin.note, foreignKey.note].sort())
      await store.close()
    })
  })
}
