// @elicence/sqlite: the embedded default EventStore, one SQLite file in WAL mode (DESIGN §4).
export {
  openSqliteReadModelStore,
  type SqliteReadModelStoreOptions,
  sqliteReadModelStore,
} from './read-models.js'
export { openSqliteEventStore, type SqliteEventStoreOptions, sqliteEventStore } from './sqlite-store.js'
