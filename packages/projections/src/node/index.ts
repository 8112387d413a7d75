// @elicence/projections/node: the parts that need Node (node:crypto, worker threads, loading a
// store's module by name), kept out of the main entry so the read models run on any platform.

export {
  type DecoderLocator,
  type EventStoreLocator,
  loadLocatedDecoder,
  openLocatedStore,
  type PartitionRun,
  type PartitionTask,
  type PartitionWorkersOptions,
  runPartitionWorkers,
} from './partition-workers.js'
export {
  auditPartitioned,
  type PartitionedAuditOptions,
  type PartitionedReplay,
  type PartitionedReplayOptions,
  type PartitionOutcome,
  replayPartitioned,
} from './partitioned.js'
export { nodeSha256, nodeSha256Base64Url, nodeSha256Hex } from './sha256.js'
