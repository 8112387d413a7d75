/**
 * How a PostgreSQL adapter (the event store, the read models) reaches the server: a connection
 * string, with a pool the adapter owns and ends on close, or a pool the caller owns and keeps.
 *
 * ## Time limits
 * A server that accepts connections and never answers (a hung host, a frozen process, a firewall
 * that drops packets) would otherwise hold every call for good. An owned pool gets four limits,
 * each with a default, each configurable here or in the connection string:
 * - `connectMs` (URL `connect_timeout`, in seconds as libpq spells it): reaching the server and
 *   finishing its start-up handshake; also the longest wait for a free connection of the pool
 *   (for a read of the event store, one of the connections reads may use: read-slots.ts).
 * - `statementMs` (URL `statement_timeout`, ms): PostgreSQL's own limit on one statement.
 * - `idleInTransactionMs` (URL `idle_in_transaction_session_timeout`, ms): the server ends a session
 *   whose client went quiet inside a transaction, so a hung client cannot hold stream locks.
 * - `queryMs` (URL `query_timeout`, ms): how long the client waits for an answer. The server's
 *   limits are enforced by the server; a frozen server enforces nothing, so the client keeps its own
 *   deadline, a little longer than the statement's so that a live server reports first (its error is
 *   the more precise). A connection whose answer timed out is dropped, never reused.
 *
 * Each is a whole number of milliseconds up to 2^31 − 1 (what a Node timer holds), `connect_timeout`
 * of seconds up to 2,147,483; another value is refused, never rounded or ignored. A pool the caller
 * owns keeps the caller's settings.
 *
 * @example
 * postgresEventStore({ connectionString: 'postgres://user:password@localhost:5432/elicence?connect_timeout=2' })
 * postgresEventStore({ connectionString, timeouts: { statementMs: 5_000 } })
 * postgresReadModelStore({ pool, schema: 'tenant_a' })
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Pool, PoolConfig } from 'pg'

export interface PostgresTimeouts {
  /** Connecting, and waiting for a pooled connection (default 5,000 ms). */
  readonly connectMs?: number
  /** The server's `statement_timeout` (default 15,000 ms). */
  readonly statementMs?: number
  /** The server's `idle_in_transaction_session_timeout` (default 30,000 ms). */
  readonly idleInTransactionMs?: number
  /** The client's wait for an answer (default: `statementMs` + 2,000 ms). */
  readonly queryMs?: number
}

export type PostgresConnectionOptions =
  | {
      /** e.g. `postgres://user:password@host:5432/database`; the adapter owns the pool and ends it on close. */
      readonly connectionString: string
      /** Connections in the adapter's pool (default 10). */
      readonly poolSize?: number
      /** Schema holding the tables (default `elicence`); lower-case letters, digits and `_`. */
      readonly schema?: string
      /** Time limits; a value here wins over one in the connection string. */
      readonly timeouts?: PostgresTimeouts
      /**
       * Read only: the tables must exist (nothing is created or migrated) and every transaction of
       * the pool is read-only, so a reading tool cannot change the database by mistake.
       */
      readonly readOnly?: boolean
    }
  | {
      /** A pool the caller owns: `close()` leaves it open. */
      readonly pool: Pool
      readonly schema?: string
      readonly readOnly?: boolean
    }

export const defaultTimeouts = {
  connectMs: 5_000,
  statementMs: 15_000,
  idleInTransactionMs: 30_000,
} as const

/** The connection-string parameters that set a limit, with their unit: libpq's names. */
const timeoutParameters = {
  connect_timeout: { field: 'connectMs', toMs: 1000 },
  statement_timeout: { field: 'statementMs', toMs: 1 },
  idle_in_transaction_session_timeout: { field: 'idleInTransactionMs', toMs: 1 },
  query_timeout: { field: 'queryMs', toMs: 1 },
} as const satisfies Record<string, { readonly field: keyof PostgresTimeouts; readonly toMs: number }>

/**
 * The longest limit: Node's timers (`connectMs`, `queryMs`) hold at most 2^31 − 1 ms and fire at
 * once beyond it, and PostgreSQL's integer settings stop there too.
 */
export const longestMs = 2_147_483_647

const unitOf = (toMs: number) => (toMs === 1000 ? 'seconds' : 'milliseconds')

/**
 * The limits a connection string sets, or what is wrong with one of them. Zero is refused: in
 * PostgreSQL it means "no limit", which is what these limits exist to prevent.
 */
export const timeoutsOfConnectionString = (connectionString: string): E.Either<string, PostgresTimeouts> => {
  let search: URLSearchParams
  try {
    search = new URL(connectionString).searchParams
  } catch {
    // pg's own parser reports a URL it cannot read, when it connects.
    return E.right({})
  }
  const timeouts: Record<string, number> = {}
  for (const [name, { field, toMs }] of Object.entries(timeoutParameters)) {
    const text = search.get(name)
    if (text === null) continue
    const most = Math.floor(longestMs / toMs)
    if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > most)
      return E.left(
        `${name} must be a positive whole number of ${unitOf(toMs)} up to ${most}, got ${JSON.stringify(text)}`,
      )
    timeouts[field] = Number(text) * toMs
  }
  return E.right(timeouts)
}

/** What is wrong with a limit given in the options, as the connection string's are checked. */
const timeoutOptionProblem = (timeouts: PostgresTimeouts): string | undefined => {
  for (const [field, value] of Object.entries(timeouts)) {
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 1 || value > longestMs)
      return `timeouts.${field} must be a positive whole number of milliseconds up to ${longestMs}, got ${value}`
  }
  return undefined
}

/** pg reads these parameters itself and lets them win over its config: they are applied from it. */
const withoutTimeouts = (connectionString: string): string => {
  let parsed: URL
  try {
    parsed = new URL(connectionString)
  } catch {
    return connectionString
  }
  const names = Object.keys(timeoutParameters).filter((name) => parsed.searchParams.has(name))
  if (names.length === 0) return connectionString
  for (const name of names) parsed.searchParams.delete(name)
  return parsed.toString()
}

/**
 * The pool configuration for a connection string: its limits (explicit ones first, then the
 * string's, then the defaults) and, for a read-only adapter, read-only transactions; or what is
 * wrong with a limit, which the adapter reports on every call rather than running without it.
 */
export const ownedPoolConfig = (
  options: Extract<PostgresConnectionOptions, { readonly connectionString: string }>,
  defaultPoolSize: number,
): E.Either<string, PoolConfig> => {
  const fromUrl = timeoutsOfConnectionString(options.connectionString)
  if (E.isLeft(fromUrl)) return fromUrl
  const problem = timeoutOptionProblem(options.timeouts ?? {})
  if (problem !== undefined) return E.left(problem)
  const given = { ...defaultTimeouts, ...fromUrl.right, ...options.timeouts }
  const queryMs = given.queryMs ?? Math.min(given.statementMs + 2_000, longestMs)
  return E.right({
    connectionString: withoutTimeouts(options.connectionString),
    max: options.poolSize ?? defaultPoolSize,
    connectionTimeoutMillis: given.connectMs,
    statement_timeout: given.statementMs,
    idle_in_transaction_session_timeout: given.idleInTransactionMs,
    query_timeout: queryMs,
    // A dead peer on an idle connection is found by TCP keep-alive rather than by the next query.
    keepAlive: true,
    ...(options.readOnly === true ? { options: '-c default_transaction_read_only=on' } : {}),
  })
}
