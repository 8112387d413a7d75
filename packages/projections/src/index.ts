// @elicence/projections: read models over the licence event history (DESIGN §5) — pure views, the
// projection runner and its storage port, as-of replay — signed presentations (DESIGN §6) and the
// auditor's replay. The ReadModelStore conformance suite and history generators live in
// `@elicence/projections/testing`.
//
// Example:
//   const runner = projectionRunner({ events: store, readModels: inMemoryReadModelStore() })
//   await runner.catchUp()
//   const queries = readModelQueries(readModels)
//   await queries.verification('11010519491231002X', new Date().toISOString())
export {
  type AuditAnomaly,
  type AuditAnomalyKind,
  type AuditOptions,
  type AuditProgress,
  type AuditReport,
  auditAnomalyKinds,
  auditHistory,
} from './audit/audit.js'
export type { RebuiltReadModels, StoredReadModels } from './audit/compare-stored.js'
export { auditPartition, mergeAuditReports, type PartitionAuditOptions } from './audit/partition-audit.js'
export {
  base64UrlDecode,
  base64UrlEncode,
  type GeneratedKeys,
  generatePresentationKeys,
  importReferenceKey,
  importSigningKey,
  importVerificationKey,
  publicKeyPemOf,
} from './presentation/keys.js'
export {
  defaultPresentationSeconds,
  type ELicenceLookup,
  licenceNumberOfELicenceId,
  type OnlineCheck,
  type PresentationError,
  type PresentationErrorCode,
  type PresentationPayload,
  presentationErrorCodes,
  type SignedPresentation,
  type SignOptions,
  signPresentation,
  type VerifiedPresentation,
  type VerifyOptions,
  verifyPresentation,
} from './presentation/presentation.js'
export {
  applyEvent,
  collections,
  continuityBreak,
  statisticsKey,
  timelineKey,
  timelinePrefix,
  type WorkingSet,
  workingSet,
} from './read-models/apply.js'
export { inMemoryReadModelStore } from './read-models/in-memory.js'
export {
  defaultReplayPageSize,
  type MergedReplay,
  mergePartitionReplays,
  type PartitionReplay,
  type PartitionReplayOptions,
  replayPartition,
} from './read-models/partition-replay.js'
export {
  type Checkpoint,
  type CheckpointAdvance,
  checkpointStreamId,
  type DocumentChange,
  initialCheckpoint,
  type ListQuery,
  type ReadModelStore,
  type StoredDocument,
} from './read-models/port.js'
export { type ReadModelQueries, readModelQueries } from './read-models/queries.js'
export { type ReplayedReadModels, type ReplayOptions, replayReadModels } from './read-models/replay.js'
export {
  defaultProjection,
  type FollowingRunner,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
  projectionRunner,
  type StepResult,
} from './read-models/runner.js'
export {
  asOf,
  eLicenceAsOf,
  happenedBy,
  type InvalidInstant,
  type ReadLicenceViewOptions,
  readLicenceEvents,
  readLicenceView,
  type TimeAxis,
  timeAxes,
} from './views/as-of.js'
export {
  type ELicenceState,
  type ELicenceView,
  type ELicenceViewState,
  eLicenceStates,
  eLicenceView,
  evolveELicenceView,
  type InvalidationRecord,
  type PhotoRejectionRecord,
} from './views/e-licence.js'
export {
  orderReviewQueue,
  type ReviewQueueEntry,
  type ReviewQueueOptions,
  type ReviewQueueState,
  reviewQueueEntryOf,
  reviewQueueOf,
  reviewQueueSortKey,
  reviewQueueView,
} from './views/review-queue.js'
export {
  emptyStatistics,
  type IssueDelayBucket,
  type IssueDelays,
  issueDelayBuckets,
  type LicenceTransition,
  mergeStatistics,
  type Statistics,
  type StatisticsState,
  statisticsStep,
  statisticsView,
} from './views/statistics.js'
export {
  type AuditTimeline,
  auditTimelineView,
  summarise,
  type TimelineEntry,
  timelineEntryOf,
} from './views/timeline.js'
export {
  maskLicenceNumber,
  maskName,
  type Verification,
  type VerificationReason,
  verificationReasons,
  verifyAt,
} from './views/verification.js'
export { foldView, type View } from './views/view.js'
export {
  type DecoderLocator,
  type EventStoreLocator,
  loadLocatedDecoder,
  openLocatedStore,
  type PartitionRun,
  type PartitionTask,
  type PartitionWorkersOptions,
  runPartitionWorkers,
} from './workers/partition-workers.js'
export {
  auditPartitioned,
  type PartitionedAuditOptions,
  type PartitionedReplay,
  type PartitionedReplayOptions,
  type PartitionOutcome,
  replayPartitioned,
} from './workers/partitioned.js'
