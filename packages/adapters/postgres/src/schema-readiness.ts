/**
 * Whether a store's schema is there and current, asked once per store and remembered.
 *
 * ## Time limits of a migration
 * Creating or migrating the schema is not bound by the limits meant for commands. Migrating a
 * schema 1 table rewrites it (≈ 7 s per million events), and a process waits on the schema's lock
 * for as long as another one migrates: under `statement_timeout` (15 s by default) a database of
 * more than two million events could never be upgraded. So the transaction sets
 * `statement_timeout = 0` for itself (SET LOCAL) and its statements wait for the client as long as
 * a timer can (`longestMs`, 24 days) instead of `query_timeout`.
 *
 * A frozen server enforces no limit, and a slow migration cannot be told from a frozen server by
 * its connection alone: while the transaction runs, another connection asks the server `SELECT 1`
 * every second, under the pool's own limits. When it gets no answer, the migration is given up (its
 * connection dropped; the server rolls it back when it sees that) and the open fails with what the
 * check ran into, as a command would have.
 */

import { type StoreError, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { Client, type Pool, type QueryConfig } from 'pg'
import { longestMs } from './connection-options.js'
import { type Queryable, rowsOf } from './event-rows.js'
import { checkOut, release, rollBackAfter } from './pool-client.js'
import { schemaLockSql, schemaSql, schemaVersion, schemaVersionSql } from './schema.js'

/** How often the server is asked whether it still answers while the schema is prepared. */
const checkEveryMs = 1_000

/**
 * Runs `work` for as long as the server answers `SELECT 1` on a connection of its own, with the
 * pool's settings; rejects with what the check ran into when it does not.
 */
const whileServerAnswers = async <A>(
  pool: Pool,
  work: () => Promise<A>,
  messageOf: (error: unknown) => string,
): Promise<A> => {
  const check = new Client(pool.options)
  // A connection that dies between checks is reported by the next one.
  check.on('error', () => undefined)
  let done = false
  let pause: ReturnType<typeof setTimeout> | undefined
  let resume: (() => void) | undefined
  const silent = new Promise<never>((_, reject) => {
    const run = async () => {
      try {
        await check.connect()
        while (!done) {
          await check.query('SELECT 1')
          await new Promise<void>((resolve) => {
            resume = resolve
            pause = setTimeout(resolve, checkEveryMs)
          })
        }
      } catch (error) {
        if (!done)
          reject(
            new Error(`the server stopped answering (checked on another connection: ${messageOf(error)})`),
          )
      }
    }
    void run()
  })
  try {
    return await Promise.race([work(), silent])
  } finally {
    done = true
    clearTimeout(pause)
    resume?.()
    void check.end().catch(() => undefined)
  }
}

/** The store's `ensureSchema`: prepares the schema on first use, again after a failure. */
export const schemaReadiness = (
  pool: Pool,
  schema: string,
  options: { readonly readOnly?: boolean | undefined },
  messageOf: (error: unknown) => string,
): (() => Promise<E.Either<StoreError, void>>) => {
  const versionOf = async (
    on: Queryable,
    query: QueryConfig = { text: schemaVersionSql(schema) },
  ): Promise<number> => (await rowsOf<{ version: number }>(on, query))[0]?.version ?? 0
  const tooNew = (found: number) =>
    storeFailure(
      `postgres: schema ${schema} is at version ${found}, newer than this build reads (${schemaVersion})`,
    )

  /**
   * Creates or migrates the schema unless it is up to date; see schema.ts for how and why. A
   * read-only store changes nothing: a missing schema is an error (a mistyped URL must not read as
   * an empty history), an older one is read as it is unless it lacks what this build reads.
   */
  const prepareSchema = async (): Promise<E.Either<StoreError, void>> => {
    const found = await versionOf(pool)
    if (found === schemaVersion) return E.right(undefined)
    if (found > schemaVersion) return E.left(tooNew(found))
    if (options.readOnly === true) {
      return E.left(
        storeFailure(
          found === 0
            ? `postgres: no event store in schema ${schema} of this database (its events table is missing); nothing was created`
            : `postgres: schema ${schema} is at version ${found}, older than this build reads (${schemaVersion}); open it once read-write (e.g. elicence serve or exec) to migrate it`,
        ),
      )
    }
    const client = await checkOut(pool)
    let broken = false
    // The statements of this transaction are not held to query_timeout (see the header): pg reads a
    // query's own query_timeout, which its types do not declare.
    const unhurried = (text: string): QueryConfig => ({ text, query_timeout: longestMs }) as QueryConfig
    try {
      return await whileServerAnswers(
        pool,
        async () => {
          await client.query(unhurried('BEGIN'))
          await client.query(unhurried('SET LOCAL statement_timeout = 0'))
          await client.query(unhurried(schemaLockSql(schema)))
          // Another process may have created or migrated the schema while this one waited for the lock.
          const current = await versionOf(client, unhurried(schemaVersionSql(schema)))
          if (current < schemaVersion) await client.query(unhurried(schemaSql(schema)))
          await client.query(unhurried(current > schemaVersion ? 'ROLLBACK' : 'COMMIT'))
          return current > schemaVersion ? E.left(tooNew(current)) : E.right(undefined)
        },
        messageOf,
      )
    } catch (error) {
      broken = await rollBackAfter(client, error)
      throw error
    } finally {
      release(client, broken)
    }
  }

  let schemaReady: Promise<E.Either<StoreError, void>> | undefined
  const ensureSchema = (): Promise<E.Either<StoreError, void>> => {
    schemaReady ??= prepareSchema()
      .catch((error: unknown) =>
        E.left(
          storeFailure(
            `postgres: ${options.readOnly === true ? 'reading' : 'preparing'} schema ${schema} failed: ${messageOf(error)}`,
            error,
          ),
        ),
      )
      .then((ready) => {
        // Forget a failure so a later call retries (the server may just have been starting).
        if (E.isLeft(ready)) schemaReady = undefined
        return ready
      })
    return schemaReady
  }
  return ensureSchema
}
