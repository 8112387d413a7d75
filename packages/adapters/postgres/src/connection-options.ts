/**
 * How a PostgreSQL adapter (the event store, the read models) reaches the server: a connection
 * string, with a pool the adapter owns and ends on close, or a pool the caller owns and keeps.
 *
 * @example
 * postgresEventStore({ connectionString: 'postgres://user:password@localhost:5432/elicence' })
 * postgresReadModelStore({ pool, schema: 'tenant_a' })
 */
import type { Pool } from 'pg'

export type PostgresConnectionOptions =
  | {
      /** e.g. `postgres://user:password@host:5432/database`; the adapter owns the pool and ends it on close. */
      readonly connectionString: string
      /** Connections in the adapter's pool (default 10). */
      readonly poolSize?: number
      /** Schema holding the tables (default `elicence`); lower-case letters, digits and `_`. */
      readonly schema?: string
    }
  | {
      /** A pool the caller owns: `close()` leaves it open. */
      readonly pool: Pool
      readonly schema?: string
    }
