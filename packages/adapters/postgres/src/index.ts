// @elicence/postgres: the EventStore port on PostgreSQL (≥ 13, for xid8), with a readAll that never
// skips a late-committing event. A test server helper lives in `@elicence/postgres/testing`.
export {
  defaultTimeouts,
  type PostgresConnectionOptions,
  type PostgresTimeouts,
  timeoutsOfConnectionString,
} from './connection-options.js'
export { type PostgresEventStoreOptions, postgresEventStore } from './postgres-event-store.js'
export { type PostgresReadModelStoreOptions, postgresReadModelStore } from './read-models.js'
