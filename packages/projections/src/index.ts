// @elicence/projections: read models over the licence event history (DESIGN §5) — pure views, the
// projection runner and its storage port, as-of replay — the SD-JWT VC credential with its status lists and presentation verifier (DESIGN §6) — and the
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
  birthDateOf,
  type CredentialClaims,
  credentialClaims,
  type DisclosableClaim,
  type DrivingPrivilege,
  defaultDisclosures,
  disclosableClaims,
  eLicenceCredentialType,
} from './credential/claims.js'
export { credentialCacheSizeProblem, defaultCredentialCacheSize } from './credential/credential-cache.js'
export {
  Base64UrlCoordinate,
  CredentialRequest,
  confirmationKeyOf,
  Ed25519PublicJwk,
  HolderKey,
  isP256Point,
  P256PublicJwk,
} from './credential/holder-key.js'
export {
  type CredentialIssuer,
  type CredentialIssuerOptions,
  credentialIssuer,
  credentialRefusal,
  defaultCredentialLifetimeSeconds,
  type IssueRequest,
  type StatusReference,
} from './credential/issue.js'
export {
  generateIssuerKey,
  type IssuerJwks,
  type IssuerKeys,
  type IssuerSigningKey,
  importIssuerKeys,
  issuerKeyId,
  issuerPublicJwk,
} from './credential/issuer-keys.js'
export {
  type JwsAlgorithm,
  jwsSignatureValid,
  type SignatureBackend,
  webCryptoSignatureBackend,
} from './credential/jws.js'
export { type PresentOptions, presentCredential } from './credential/present.js'
export {
  type CheckedPresentation,
  defaultPresentationMaxAgeSeconds,
  type PresentationChecker,
  type PresentationCheckerOptions,
  presentationChecker,
} from './credential/presentation-checks.js'
export {
  type CredentialStatus,
  credentialStatusAt,
  credentialStatuses,
  statusCodes,
} from './credential/status.js'
export { type StatusCheck, type StatusListFetch, statusReasons } from './credential/status-check.js'
export {
  defaultStatusListTtlSeconds,
  type StatusListError,
  type StatusLists,
  type StatusListsOptions,
  statusIndexProjection,
  statusListCapacity,
  statusLists,
} from './credential/status-lists.js'
export {
  type KeyBindingSummary,
  type PresentationCheck,
  type PresentationReason,
  type PresentationVerification,
  type PresentationVerifier,
  type PresentationVerifierOptions,
  presentationReasons,
  presentationStatusChecker,
  presentationVerifier,
  sdHashOf,
  withStatus,
} from './credential/verify.js'
export {
  type Cosignature,
  checkpointBody,
  checkpointOriginProblem,
  cosignatureLine,
  defaultLogOrigin,
  maxTreeSize,
  openCheckpoint,
  parseCheckpointBody,
  parseTreeSize,
  type SignedCheckpoint,
  verifyCosignatures,
  withSignatureLine,
} from './log/checkpoint.js'
export { type GlobalOrderLeaves, globalOrderLeaves, type PartitionLeaves } from './log/leaf-merge.js'
export {
  type HistoryTreeCheck,
  historyTreeCheck,
  type LogFinding,
  type LogFindingKind,
  leafOfEntry,
  logFindingKinds,
  type ReferenceNodes,
} from './log/log-audit.js'
export {
  logCollections,
  logProjection,
  type StoredCheckpoint,
  type TransparencyLog,
  type TransparencyLogOptions,
  type TreeHead,
  transparencyLog,
} from './log/log-projection.js'
export { isLogRangeError, type LogError, type LogProof, type LogRangeError } from './log/log-proofs.js'
export {
  consistencyProofPlan,
  emptyRoot,
  equalBytes,
  hashBytesOfHex,
  hashesOfPlan,
  hashSize,
  inclusionProofPlan,
  type LeafRange,
  leafHash,
  type MerkleAccumulator,
  merkleAccumulator,
  type NodeId,
  nodeHash,
  nodeKey,
  perfectSubtrees,
  rootOfLeafHashes,
  type Sha256,
  type StoredNode,
} from './log/merkle.js'
export { verifyConsistency, verifyInclusion } from './log/merkle-verify.js'
export {
  decodeNote,
  maxNoteSignatures,
  type NoteSignature,
  openNote,
  type ParsedNote,
  parseNote,
  signNote,
} from './log/note.js'
export {
  fromBase64,
  generateNoteKey,
  isNoteKeyName,
  keyNameAndId,
  type NoteKeyType,
  type NoteSigner,
  type NoteVerifier,
  noteKeyNameProblem,
  noteKeyTypes,
  parseSignerKey,
  parseVerifierKey,
  toBase64,
} from './log/note-keys.js'
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
