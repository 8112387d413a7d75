// openEventStore against real files and real (refused) connections: what each adapter answers when
// the URL is fine but the store is not there.
import { streamIdFor } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { licenceNumberFor } from './fixtures/licence-commands.js'
import { temporaryFiles } from './fixtures/temporary-files.js'
import { isInvalidStoreUrl, openEventStore, openReadModelStore } from './store-url.js'

const files = temporaryFiles('elicence-cli-store-url-')
afterAll(files.remove)

const failureOf = async (url: string) => {
  const opened = await openEventStore(url)
  if (E.isRight(opened)) {
    await opened.right.close()
    throw new Error(`${url} opened`)
  }
  return opened.left
}

describe('openEventStore', () => {
  it('opens (and creates) a SQLite file, which a second opening finds as left', async () => {
    const url = `sqlite:${files.path('store.db')}`
    const first = await openEventStore(url)
    if (E.isLeft(first)) throw new Error(first.left.message)
    expect(await first.right.readAll({ after: 0, limit: 1 })).toEqual(
      E.right({ events: [], lastPosition: 0 }),
    )
    await first.right.close()
    const again = await openEventStore(url)
    if (E.isLeft(again)) throw new Error(again.left.message)
    expect(E.isRight(await again.right.readStream(streamIdFor(licenceNumberFor(1))))).toBe(true)
    await again.right.close()
  })

  it('reports a SQLite file that cannot be created as a store failure naming the path', async () => {
    const failure = await failureOf('sqlite:/nonexistent-directory/elicence.db')
    expect(failure).toMatchObject({ code: 'store-failure' })
    expect(failure.message).toMatch(/\/nonexistent-directory\/elicence\.db/)
  })

  it('reports an unreachable PostgreSQL server when opening, not at the first command', async () => {
    const failure = await failureOf('postgres://elicence:secret@127.0.0.1:1/elicence')
    expect(failure.code).toBe('store-failure')
    expect(failure.message).toMatch(/ECONNREFUSED/)
  })

  it('reports an unreachable EventStoreDB server when opening', async () => {
    const failure = await failureOf('esdb://127.0.0.1:1?tls=false')
    expect(failure.code).toBe('store-failure')
    expect(failure.message).toMatch(/UNAVAILABLE|ECONNREFUSED/)
  })

  it('refuses what the EventStoreDB client cannot parse as an invalid URL, not a store failure', async () => {
    const failure = await failureOf('kurrentdb://localhost:2113?tls=maybe')
    expect(isInvalidStoreUrl(failure)).toBe(true)
    expect(failure.message).toMatch(
      /store URL 'kurrentdb:\/\/localhost:2113\?tls=maybe': .*expected true or false/,
    )
  })
})

describe('openReadModelStore', () => {
  it('opens the read models in the SQLite file itself, and has none for memory:', async () => {
    const opened = await openReadModelStore(`sqlite:${files.path('store.db')}`)
    if (E.isLeft(opened) || opened.right === undefined) throw new Error('no read-model store')
    expect(await opened.right.loadCheckpoint('elicence')).toMatchObject(E.right({ position: 0 }))
    await opened.right.close()
    expect(await openReadModelStore('memory:')).toEqual(E.right(undefined))
  })
})
