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
export type { StoredReadModels } from './audit/compare-stored.js'
export {
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
export { collections } from './read-models/apply.js'
export { inMemoryReadModelStore } from './read-models/in-memory.js'
export { replayPartition } from './read-models/partition-replay.js'
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
export { type ReplayedReadModels, replayReadModels } from './read-models/replay.js'
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
  type InvalidInstant,
  type ReadLicenceViewOptions,
  readLicenceEvents,
  readLicenceView,
  type TimeAxis,
  timeAxes,
} from './views/as-of.js'
export {
  type ELicenceState,
  ELicenceView,
  type ELicenceViewState,
  eLicenceStates,
  eLicenceView,
  InvalidationRecord,
  PhotoRejectionRecord,
} from './views/e-licence.js'
export {
  ReviewQueueEntry,
  type ReviewQueueOptions,
  type ReviewQueueState,
  reviewQueueView,
} from './views/review-queue.js'
export {
  emptyStatistics,
  type IssueDelayBucket,
  type IssueDelays,
  issueDelayBuckets,
  type Statistics,
  type StatisticsState,
  statisticsView,
} from './views/statistics.js'
export {
  type AuditTimeline,
  auditTimelineView,
  type TimelineEntry,
} from './views/timeline.js'
export {
  Verification,
  type VerificationReason,
  verificationReasons,
  verifyAt,
} from './views/verification.js'
export { foldView, type View } from './views/view.js'
