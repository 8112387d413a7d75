/** Whether a store's schema is there and current, asked once per store and remembered. */

import { type StoreError, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { Pool } from 'pg'
import { type Queryable, rowsOf } from './event-rows.js'
import { checkOut, release, rollBackAfter } from './pool-client.js'
import { schemaLockSql, schemaSql, schemaVersion, schemaVersionSql } from './schema.js'

/** The store's `ensureSchema`: prepares the schema on first use, again after a failure. */
export const schemaReadiness = (
  pool: Pool,
  schema: string,
  options: { readonly readOnly?: boolean | undefined },
  messageOf: (error: unknown) => string,
): (() => Promise<E.Either<StoreError, void>>) => {
  const versionOf = async (on: Queryable): Promise<number> =>
    (await rowsOf<{ version: number }>(on, { text: schemaVersionSql(schema) }))[0]?.version ?? 0
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
    try {
      await client.query('BEGIN')
      await client.query(schemaLockSql(schema))
      // Another process may have created or migrated the schema while this one waited for the lock.
      const current = await versionOf(client)
      if (current < schemaVersion) await client.query(schemaSql(schema))
      await client.query(current > schemaVersion ? 'ROLLBACK' : 'COMMIT')
      return current > schemaVersion ? E.left(tooNew(current)) : E.right(undefined)
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
