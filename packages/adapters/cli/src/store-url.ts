/**
 * Store URLs (DESIGN §4): which EventStore a command runs against. The CLI is the only package that
 * imports every adapter, and it loads only the one a URL names, so `elicence exec --store sqlite:…`
 * never pays for the PostgreSQL or EventStoreDB clients.
 *
 *   memory:                          in-memory, gone when the process ends (dry runs, tests)
 *   sqlite:PATH | sqlite:///ABS/PATH  one SQLite file (the embedded default)
 *   postgres://… | postgresql://…     a PostgreSQL server; time limits as parameters: connect_timeout
 *                                    (s), statement_timeout, idle_in_transaction_session_timeout,
 *                                    query_timeout (ms), e.g. postgres://h/db?connect_timeout=2
 *   esdb://… | esdb+discover://…      an EventStoreDB server or cluster; kurrentdb:// and
 *   kurrentdb+discover://…            kurrentdb+discover:// name the same protocol (KurrentDB)
 *
 * @example
 * const opened = await openEventStore('sqlite:./data/elicence.db') // Either<OpenStoreError, EventStore>
 * if (isLeft(opened)) console.error(opened.left.message)
 */
import { type EventStore, inMemoryEventStore, type StoreError, storeFailure } from '@elicence/domain'
import { redactStoreUrl } from '@elicence/http'
import type { ReadModelStore } from '@elicence/projections'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'

export type StoreLocation =
  | { readonly _tag: 'memory' }
  | { readonly _tag: 'sqlite'; readonly path: string }
  | { readonly _tag: 'postgres'; readonly connectionString: string }
  | { readonly _tag: 'eventstoredb'; readonly connectionString: string }

export const invalidStoreUrlCode = 'invalid-store-url'

export interface InvalidStoreUrl {
  readonly code: typeof invalidStoreUrlCode
  readonly message: string
  /** The URL as given, with any password replaced by `***`. */
  readonly url: string
}

export type OpenStoreError = InvalidStoreUrl | StoreError

export const isInvalidStoreUrl = (error: { readonly code: string }): error is InvalidStoreUrl =>
  error.code === invalidStoreUrlCode

const expectedForms =
  'memory:, sqlite:PATH, postgres://…, postgresql://…, esdb://…, esdb+discover://…, kurrentdb://…'

// Error messages are printed and logged: a password in a connection string must not be.
export { redactStoreUrl }

const invalid = (url: string, problem: string): E.Either<InvalidStoreUrl, never> => {
  const shown = redactStoreUrl(url)
  return E.left({ code: invalidStoreUrlCode, message: `store URL '${shown}': ${problem}`, url: shown })
}

/** The part after `scheme://` up to the path, query or fragment: empty means no host was named. */
const authorityOf = (rest: string): string => rest.slice(2).split(/[/?#]/, 1)[0] ?? ''

const parseSqlite = (url: string, rest: string): E.Either<InvalidStoreUrl, StoreLocation> => {
  if (rest === '') return invalid(url, 'sqlite: needs a file path, e.g. sqlite:./data/elicence.db')
  if (!rest.startsWith('//')) return E.right({ _tag: 'sqlite', path: rest })
  // sqlite:///abs/file.db is the URL spelling of an absolute path; anything between the slashes
  // would be a host, and SQLite files live on this machine.
  if (rest.startsWith('///')) return E.right({ _tag: 'sqlite', path: rest.slice(2) })
  return invalid(
    url,
    `sqlite: names a local file, not a host ('${authorityOf(rest)}'); write sqlite:./relative.db or sqlite:///absolute.db`,
  )
}

const parsePostgres = (url: string, rest: string): E.Either<InvalidStoreUrl, StoreLocation> => {
  if (!rest.startsWith('//')) return invalid(url, 'a PostgreSQL URL starts with postgres://')
  try {
    new URL(url)
  } catch (error) {
    return invalid(
      url,
      `not a valid PostgreSQL URL (${error instanceof Error ? error.message : String(error)})`,
    )
  }
  return E.right({ _tag: 'postgres', connectionString: url })
}

const parseEventStoreDb = (
  url: string,
  scheme: string,
  rest: string,
): E.Either<InvalidStoreUrl, StoreLocation> => {
  if (!rest.startsWith('//')) return invalid(url, `an EventStoreDB URL starts with ${scheme}://`)
  // Not checked with `new URL`: a cluster is written `esdb://a:2113,b:2113,c:2113`, which is no
  // WHATWG URL. The client's own parser has the last word on the rest.
  if (authorityOf(rest) === '')
    return invalid(url, `${scheme}:// needs a host, e.g. ${scheme}://localhost:2113`)
  // @eventstore/db-client reads only the esdb schemes; KurrentDB speaks the same protocol.
  const esdbScheme = scheme.replace(/^kurrentdb/, 'esdb')
  return E.right({ _tag: 'eventstoredb', connectionString: `${esdbScheme}:${rest}` })
}

export const parseStoreUrl = (url: string): E.Either<InvalidStoreUrl, StoreLocation> => {
  const trimmed = url.trim()
  if (trimmed === '') return invalid(url, `empty; expected one of ${expectedForms}`)
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)
  if (match === null) {
    const hint = /[./\\]/.test(trimmed) ? `; for a SQLite file write sqlite:${trimmed}` : ''
    return invalid(url, `no scheme; expected one of ${expectedForms}${hint}`)
  }
  const scheme = (match[1] ?? '').toLowerCase()
  const rest = trimmed.slice(scheme.length + 1)
  switch (scheme) {
    case 'memory':
      return rest === '' ? E.right({ _tag: 'memory' }) : invalid(url, 'memory: takes nothing after the colon')
    case 'sqlite':
      return parseSqlite(url, rest)
    case 'postgres':
    case 'postgresql':
      return parsePostgres(`${scheme}:${rest}`, rest)
    case 'esdb':
    case 'esdb+discover':
    case 'kurrentdb':
    case 'kurrentdb+discover':
      return parseEventStoreDb(url, scheme, rest)
    default:
      return invalid(url, `unknown scheme '${scheme}:'; expected one of ${expectedForms}`)
  }
}

const failedToOpen = (location: StoreLocation, error: unknown): StoreError =>
  storeFailure(
    `could not open the ${location._tag} store: ${error instanceof Error ? error.message : String(error)}`,
    error,
  )

/**
 * Network stores connect lazily; one read at opening turns an unreachable server or wrong password
 * into one clear error, instead of a failure on every command of a batch.
 */
const probed = async (store: EventStore): Promise<E.Either<StoreError, EventStore>> => {
  const read = await store.readAll({ after: 0, limit: 1 })
  if (E.isRight(read)) return E.right(store)
  await store.close()
  return read
}

/**
 * How a command uses its store. `read-write` (serve, exec, import) creates a missing store.
 * `read-only` (export, audit, view, verify, and log, which writes only its tree beside the events)
 * needs one that exists — a mistyped path is an error, not a new empty store with "no anomalies" —
 * creates and migrates nothing, and reads read-only media.
 */
export interface OpenStoreOptions {
  readonly readOnly?: boolean
}

const openLocation = async (
  url: string,
  location: StoreLocation,
  { readOnly = false }: OpenStoreOptions,
): Promise<E.Either<OpenStoreError, EventStore>> => {
  switch (location._tag) {
    case 'memory':
      return readOnly
        ? E.left(
            storeFailure('memory: is a new, empty store; a command that only reads needs one that exists'),
          )
        : E.right(inMemoryEventStore({ digest: nodeSha256Hex }))
    case 'sqlite': {
      const { openSqliteEventStore } = await import('@elicence/sqlite')
      return openSqliteEventStore({ path: location.path, readOnly })
    }
    case 'postgres': {
      const { postgresEventStore, timeoutsOfConnectionString } = await import('@elicence/postgres')
      const timeouts = timeoutsOfConnectionString(location.connectionString)
      if (E.isLeft(timeouts)) return invalid(url, timeouts.left)
      return probed(postgresEventStore({ connectionString: location.connectionString, readOnly }))
    }
    case 'eventstoredb': {
      const { eventStoreDbClient, eventStoreDbEventStore } = await import('@elicence/eventstoredb')
      // The client's parser knows its options (tls, node preference, timeouts); what it refuses is a
      // bad URL, the caller's input, not a store that failed.
      const parsed = eventStoreDbClient(location.connectionString)
      if (E.isLeft(parsed)) return invalid(url, parsed.left.message)
      await parsed.right.dispose()
      return probed(eventStoreDbEventStore({ connectionString: location.connectionString }))
    }
  }
}

/**
 * Whether the store a URL names applies appends in the order they are called, even when several are
 * in flight: SQLite (group commit takes them in call order, one transaction) and the in-memory
 * queue do; a server reached through a connection pool does not promise it.
 */
export const appliesAppendsInOrder = (url: string | undefined): boolean => {
  if (url === undefined) return false
  const location = parseStoreUrl(url)
  return E.isRight(location) && (location.right._tag === 'sqlite' || location.right._tag === 'memory')
}

export const openEventStore = async (
  url: string,
  options: OpenStoreOptions = {},
): Promise<E.Either<OpenStoreError, EventStore>> => {
  const location = parseStoreUrl(url)
  if (E.isLeft(location)) return location
  try {
    return await openLocation(url, location.right, options)
  } catch (error) {
    // Adapters return errors as values, but a driver can still throw while loading or connecting.
    return E.left(failedToOpen(location.right, error))
  }
}

/**
 * `openEventStore` read only, by URL alone: what the partition workers of a reading verb (`audit
 * --partitions`) open by name, each in its own thread, so that they too never write (no migration,
 * nothing created) and read a store on read-only media.
 */
export const openEventStoreReadOnly = (url: string): Promise<E.Either<OpenStoreError, EventStore>> =>
  openEventStore(url, { readOnly: true })

/**
 * The read models kept beside the events a URL names, where an adapter keeps them: in the SQLite
 * file itself, or the PostgreSQL database. `undefined` where no read-model store goes with the URL
 * (memory:, and EventStoreDB, which keeps no tables). Opening creates the read-model tables when
 * they are missing; read only, it creates nothing and a store without them has empty read models.
 */
export const openReadModelStore = async (
  url: string,
  { readOnly = false }: OpenStoreOptions = {},
): Promise<E.Either<OpenStoreError, ReadModelStore | undefined>> => {
  const location = parseStoreUrl(url)
  if (E.isLeft(location)) return location
  try {
    switch (location.right._tag) {
      case 'sqlite': {
        const { openSqliteReadModelStore } = await import('@elicence/sqlite')
        return openSqliteReadModelStore({ path: location.right.path, readOnly })
      }
      case 'postgres': {
        const { postgresReadModelStore } = await import('@elicence/postgres')
        return E.right(
          postgresReadModelStore({ connectionString: location.right.connectionString, readOnly }),
        )
      }
      case 'memory':
      case 'eventstoredb':
        return E.right(undefined)
    }
  } catch (error) {
    return E.left(failedToOpen(location.right, error))
  }
}
