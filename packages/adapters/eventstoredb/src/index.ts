// @elicence/eventstoredb: the EventStore port on EventStoreDB (≥ 22.6) through @eventstore/db-client.
export {
  type EventStoreDbEventStoreOptions,
  eventStoreDbClient,
  eventStoreDbEventStore,
} from './eventstoredb-event-store.js'
