import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { isInvalidStoreUrl, openEventStore, parseStoreUrl, redactStoreUrl } from './store-url.js'

const problemOf = (url: string): string => {
  const parsed = parseStoreUrl(url)
  if (E.isRight(parsed)) throw new Error(`${url} parsed as ${JSON.stringify(parsed.right)}`)
  expect(parsed.left.code).toBe('invalid-store-url')
  return parsed.left.message
}

describe('parseStoreUrl', () => {
  it.each([
    ['memory:', { _tag: 'memory' }],
    ['MEMORY:', { _tag: 'memory' }],
    ['sqlite:./data/elicence.db', { _tag: 'sqlite', path: './data/elicence.db' }],
    ['sqlite:elicence.db', { _tag: 'sqlite', path: 'elicence.db' }],
    ['sqlite:/var/lib/elicence.db', { _tag: 'sqlite', path: '/var/lib/elicence.db' }],
    ['sqlite:///var/lib/elicence.db', { _tag: 'sqlite', path: '/var/lib/elicence.db' }],
    [
      'postgres://app:secret@db.example:5432/elicence',
      { _tag: 'postgres', connectionString: 'postgres://app:secret@db.example:5432/elicence' },
    ],
    [
      'postgresql://localhost/elicence?sslmode=disable',
      { _tag: 'postgres', connectionString: 'postgresql://localhost/elicence?sslmode=disable' },
    ],
    [
      'esdb://localhost:2113?tls=false',
      { _tag: 'eventstoredb', connectionString: 'esdb://localhost:2113?tls=false' },
    ],
    [
      'esdb+discover://a.example:2113,b.example:2113,c.example:2113',
      {
        _tag: 'eventstoredb',
        connectionString: 'esdb+discover://a.example:2113,b.example:2113,c.example:2113',
      },
    ],
    ['kurrentdb://localhost:2113', { _tag: 'eventstoredb', connectionString: 'esdb://localhost:2113' }],
    [
      'kurrentdb+discover://cluster.example:2113',
      { _tag: 'eventstoredb', connectionString: 'esdb+discover://cluster.example:2113' },
    ],
  ])('reads %s', (url, location) => {
    expect(parseStoreUrl(url)).toEqual(E.right(location))
  })

  it('refuses an empty URL, listing the forms it knows', () => {
    expect(problemOf('')).toMatch(/empty; expected one of memory:, sqlite:PATH, postgres:\/\//)
  })

  it('refuses a bare path and suggests the sqlite: form', () => {
    expect(problemOf('./data/elicence.db')).toMatch(
      /no scheme.*for a SQLite file write sqlite:\.\/data\/elicence\.db/,
    )
  })

  it('refuses an unknown scheme by name', () => {
    expect(problemOf('mysql://localhost/elicence')).toMatch(/unknown scheme 'mysql:'/)
  })

  it('refuses memory: with anything after it', () => {
    expect(problemOf('memory:foo')).toMatch(/memory: takes nothing after the colon/)
  })

  it('refuses sqlite: without a path, and with a host', () => {
    expect(problemOf('sqlite:')).toMatch(/needs a file path/)
    expect(problemOf('sqlite://./data.db')).toMatch(/names a local file, not a host \('\.'\)/)
  })

  it('refuses malformed PostgreSQL and EventStoreDB URLs', () => {
    expect(problemOf('postgres:elicence')).toMatch(/starts with postgres:\/\//)
    expect(problemOf('postgres://host:99999999/db')).toMatch(/not a valid PostgreSQL URL/)
    expect(problemOf('esdb://')).toMatch(/needs a host/)
    expect(problemOf('kurrentdb:localhost')).toMatch(/starts with kurrentdb:\/\//)
  })

  it('never repeats a password in its messages', () => {
    const message = problemOf('postgres://app:hunter2@host:99999999/db')
    expect(message).not.toContain('hunter2')
    expect(message).toContain('postgres://app:***@host')
    expect(redactStoreUrl('esdb://admin:changeit@localhost:2113')).toBe('esdb://admin:***@localhost:2113')
    expect(redactStoreUrl('sqlite:./a:b@c.db')).toBe('sqlite:./a:b@c.db')
    // An unencoded @ in the password: the host follows the last one. A password as a query
    // parameter, as libpq reads it.
    expect(redactStoreUrl('postgres://odd:top@secret@127.0.0.1:5432/db')).toBe(
      'postgres://odd:***@127.0.0.1:5432/db',
    )
    expect(redactStoreUrl('postgres://app@db/elicence?sslmode=require&PASSWORD=probepw&x=1')).toBe(
      'postgres://app@db/elicence?sslmode=require&PASSWORD=***&x=1',
    )
    expect(redactStoreUrl('postgres://app@db/elicence')).toBe('postgres://app@db/elicence')
    expect(redactStoreUrl('postgres://db/elicence?password=')).toBe('postgres://db/elicence?password=***')
  })
})

describe('openEventStore', () => {
  it('opens an empty in-memory store for memory:', async () => {
    const opened = await openEventStore('memory:')
    if (E.isLeft(opened)) throw new Error(opened.left.message)
    expect(await opened.right.readAll({ after: 0, limit: 10 })).toEqual(
      E.right({ events: [], lastPosition: 0 }),
    )
    await opened.right.close()
  })

  it('returns an invalid URL as a value', async () => {
    const opened = await openEventStore('redis://localhost')
    expect(E.isLeft(opened) && isInvalidStoreUrl(opened.left)).toBe(true)
  })
})
