// A SQLite store on a real, small, full volume (a 3 MB tmpfs; the tests run as root), served over
// HTTP: writes fail with 503 store-failure, `/healthz` says so (503, writes failing: "database or
// disk is full") instead of 200 while reads still work; once space is freed commands are applied
// and `/healthz` is 200 again. The write-ahead log is kept within the
// volume's means, so the volume fills with events rather than with copies of pages in the log.
import { statfsSync, statSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { openSqliteEventStore } from '@elicence/sqlite'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { licenceNumberFor, nextCommandId } from './fixtures/licence-commands.js'
import { serveStore } from './fixtures/served-store.js'
import { type SmallVolume, smallVolume } from './fixtures/small-volume.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-full-disk-')
const volumes: SmallVolume[] = []
afterAll(() => {
  for (const volume of volumes) volume.remove()
  files.remove()
})

const freeBytes = (path: string) => {
  const volume = statfsSync(path)
  return volume.bavail * volume.bsize
}

describe('a SQLite store on a full volume', () => {
  it('holds the volume nearly full of events, not of log pages', async () => {
    const volume = smallVolume(3)
    volumes.push(volume)
    const path = volume.path('elicence.db')
    const opened = openSqliteEventStore({ path })
    if (E.isLeft(opened)) throw new Error(opened.left.message)
    const store = opened.right
    let appended = 0
    for (;;) {
      const result = await store.appendToStream(`licence-${licenceNumberFor(appended % 200)}`, 'any', [
        {
          type: 'Noted',
          data: { n: appended, text: 'x'.repeat(300) },
          metadata: {
            eventId: nextCommandId(),
            commandId: nextCommandId(),
            commandHash: 'c'.repeat(64),
            actor: { role: 'system', id: 'test' } as never,
            at: '2026-03-02T09:00:00+08:00',
            recordedAt: '2026-03-02T01:00:00.000Z',
            schemaVersion: 2,
            rulesVersion: 'test',
          },
        },
      ])
      if (E.isLeft(result)) {
        expect(result.left.message).toContain('database or disk is full')
        break
      }
      appended++
    }
    await store.close()
    // Without the log kept in check, 165 such appends filled this volume (a 3.1 MB log, a 4 KB file).
    expect(statSync(path).size).toBeGreaterThan(2 * 1024 * 1024)
    expect(appended).toBeGreaterThan(2_000)
  })

  it('over HTTP: 503 for commands and /healthz while full, 200 and applied once space is freed', async () => {
    const volume = smallVolume(3)
    volumes.push(volume)
    const storeUrl = `sqlite:${volume.path('elicence.db')}`
    const served = await serveStore(storeUrl, files.path('data'))
    try {
      expect((await served.health()).status).toBe(200)
      // Leave about 300 KB, so the disk fills after a few hundred commands.
      const filler = volume.path('filler')
      writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(volume.path('.')) - 300 * 1024)))
      // Until the disk is full for good: a failure's checkpoint may make room for a few more.
      let seed = 1000
      let failuresInARow = 0
      let failed: Response | undefined
      for (; seed < 4000 && failuresInARow < 3; seed++) {
        const response = await served.record(seed)
        if (response.status === 201) failuresInARow = 0
        else {
          failuresInARow++
          failed = response
        }
      }
      expect(failed?.status).toBe(503)
      const failure = await failed?.json()
      expect(failure.error.code).toBe('store-failure')

      const unhealthy = await served.health()
      expect(unhealthy.status).toBe(503)
      const body = await unhealthy.json()
      expect(body.store.status).toBe('ok')
      expect(body.writes).toMatchObject({
        status: 'failing',
        message: expect.stringContaining('database or disk is full'),
      })

      await rm(filler)
      expect((await served.record(seed + 1)).status).toBe(201)
      const healed = await served.health()
      expect(healed.status).toBe(200)
      expect(await healed.json()).toMatchObject({ status: 'ok', writes: { status: 'ok' } })
    } finally {
      await served.close()
    }
  })
})
