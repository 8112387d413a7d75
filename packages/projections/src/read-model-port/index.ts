// @elicence/projections/read-model-port: the ReadModelStore port alone, for the stores that
// implement it (the SQLite and PostgreSQL adapters). Importing the main entry would load every
// view, the credential modules and their libraries into each partition worker that opens a store,
// about a tenth of a second per worker for code it never runs.
export {
  type Checkpoint,
  type CheckpointAdvance,
  checkpointStreamId,
  type DocumentChange,
  initialCheckpoint,
  type ListQuery,
  type ReadModelStore,
  type StoredDocument,
} from '../read-models/port.js'
