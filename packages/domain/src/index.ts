// @elicence/domain: the pure licence decider, its codecs and calendar, the command handler and the
// EventStore port with its in-memory store. Testing helpers live in `@elicence/domain/testing`.
export {
  type ChinaMainlandCalendarOptions,
  chinaMainlandCalendar,
  chinaMainlandCalendarId,
  chinaMainlandDataVersion,
  type WorkingDayAnswer,
  type WorkingDayCalendar,
  weekdayCalendar,
  withYearSchedule,
  YearSchedule,
} from './calendar/calendar.js'
export {
  compareInstants,
  dayOfLocalDate,
  instantMs,
  localDateOf,
  localDateOfDay,
  localDayOf,
} from './calendar/local-time.js'
export { type ReviewDue, reviewDueAt } from './calendar/review-due.js'
export {
  type HandlerError,
  type HandlerErrorCode,
  handlerErrorCodes,
  isLicenceError,
  isStoreError,
  type StoreErrorCode,
  storeErrorCodes,
} from './handler/errors.js'
export {
  type CommandHandler,
  type CommandHandlerOptions,
  type CommandOutcome,
  commandHandler,
  defaultMaxClockSkewMs,
  type HandleOptions,
} from './handler/handler.js'
export { type RecentlyUsed, recentlyUsed } from './handler/recently-used.js'
export { type FoldedStream, type StreamStateCache, streamStateCache } from './handler/stream-cache.js'
export {
  currentSchemaVersion,
  type DecodedStoredEvent,
  defaultStoredEventDecoder,
  type StoredEventDecoder,
  type StoredEventDecoderOptions,
  shapeProblems,
  storedEventDecoder,
  type Upcaster,
  type Upcasters,
  upcasters,
} from './history/decoder.js'
export {
  type DecodedPage,
  type DecodedStream,
  decodedPages,
  decodeEvents,
  linkBreakOf,
  type PagedStore,
  type PageOptions,
  type PagesOptions,
  readDecodedPage,
  readDecodedStream,
  readDecodedStreamAfter,
  readStoredPage,
  storedPages,
} from './history/reader.js'
export {
  decodeStoredEventShape,
  LicenceStreamId,
  Sha256Hex,
  type Sha256HexBrand,
  StoredEventCodec,
  StoredEventMetadataCodec,
  storedJson,
  type UnreadableJson,
} from './history/stored-event.js'
export { canonicalJson } from './integrity/canonical-json.js'
export {
  type ChainBreak,
  type ChainHead,
  genesisHash,
  headAfter,
  linkBreaks,
  type SealedEvent,
  type SealedEventWithData,
  type SealInput,
  sealBreak,
  sealEvents,
  sealEventsWithData,
  streamStart,
  verifyChain,
} from './integrity/hash-chain.js'
export { hashInput } from './integrity/hash-input.js'
export { type Digest, sha256Hex } from './integrity/sha256.js'
export {
  ApplyForELicence,
  ChangeLicenceStatus,
  CommandMetadata,
  type CommandType,
  commandCodecs,
  commandTypes,
  LicenceCommand,
  Photo,
  parseCommand,
  RecordLicence,
  RejectPhoto,
  RenewLicence,
  ReviewApplication,
  SubmitPhoto,
  validationIssues,
  WithdrawApplication,
} from './licence/commands.js'
export type { Decision } from './licence/decide.js'
export { type LicenceDecider, type LicenceDeciderOptions, licenceDecider } from './licence/decider.js'
export { eLicenceIdFor, licenceNumberOfELicenceId } from './licence/e-licence-id.js'
export {
  type InvalidInputIssue,
  type LicenceError,
  type LicenceErrorCode,
  licenceError,
  licenceErrorCodes,
} from './licence/errors.js'
export {
  ApplicationVoided,
  ApplicationWithdrawn,
  decodeEvent,
  ELicenceApplied,
  ELicenceInvalidated,
  ELicenceIssued,
  type EventType,
  encodeEvent,
  eventCodecs,
  eventTypes,
  type InvalidationReason,
  invalidationReasons,
  LicenceEvent,
  LicenceRecorded,
  LicenceRenewed,
  LicenceStatusChanged,
  PhotoRejected,
  PhotoSubmitted,
  photoRejectionSources,
  type VoidReason,
  voidReasons,
} from './licence/events.js'
export { jsonDepthProblem, maxJsonDepth } from './licence/input-depth.js'
export {
  duplicateMemberProblem,
  jsonMemberProblem,
  parseJsonText,
  prototypeMemberProblem,
} from './licence/json-members.js'
export {
  asString,
  describeCodec,
  type JsonSchema,
  jsonSchemaOf,
  type SchemaOptions,
  type SchemaSide,
  withSchema,
} from './licence/json-schema.js'
export { aRole, commandRoles, commandsDeciding, rolesCausing } from './licence/roles.js'
export { hasLoneSurrogate, oneOf } from './licence/rule-codecs.js'
export {
  barsDriving,
  changesBetween,
  impliedClasses,
  isAbnormal,
  isEligibleToApply,
  isExpiredAt,
  isRevoking,
  rulesVersion,
  type Terms,
} from './licence/rules.js'
export {
  type ActiveELicence,
  type EvolvableEvent,
  evolve,
  fold,
  initialState,
  instantInData,
  type LicenceRecord,
  type LicenceState,
  type OpenApplication,
  type RecordedLicence,
} from './licence/state.js'
export {
  Actor,
  type ActorRole,
  Authority,
  actorRoles,
  birthDateOf,
  CalendarRecord,
  type ChangeKind,
  Changes,
  Count,
  changeKinds,
  citizenIdCheckCharacter,
  Holder,
  Id,
  type IdBrand,
  Instant,
  type InstantBrand,
  isCitizenIdNumber,
  isInstant,
  isLocalDate,
  LicenceClass,
  LicenceClasses,
  LicenceNumber,
  type LicenceNumberBrand,
  LicenceStatus,
  LicenceStatuses,
  LocalDate,
  type LocalDateBrand,
  licenceClasses,
  licenceStatuses,
  Name,
  type NameBrand,
  type PhotoDefect,
  PhotoDefects,
  photoDefects,
  RejectionReasons,
  Uuid,
  type UuidBrand,
  ValidUntil,
} from './licence/values.js'
export { packedMap } from './packed-map.js'
export {
  backoffWindowMs,
  callDecide,
  type OptimisticOptions,
  optimisticDecideAndAppend,
} from './store/decide-and-append.js'
export { type InMemoryEventStoreOptions, inMemoryEventStore } from './store/in-memory.js'
export { partitionOfStream, partitionProblem, streamPartitionKey } from './store/partitions.js'
export {
  type AllRead,
  type AppendResult,
  type ConcurrencyConflict,
  type CorruptEvent,
  concurrencyConflict,
  concurrencyConflictCode,
  corruptEvent,
  corruptEventCode,
  type DecideAndAppend,
  type DecideAndAppendRequest,
  type DecideAndAppendResult,
  type EventMetadataDraft,
  type EventStore,
  type ExpectedVersion,
  eventsAfter,
  expectedVersionMatches,
  isConcurrencyConflict,
  isCorruptEvent,
  isStoreFailure,
  type LockedDecision,
  type NewEvent,
  type Partition,
  type ReadAllOptions,
  type ReadPartitionOptions,
  type StoredEvent,
  type StoredEventMetadata,
  type StoreError,
  type StoreFailure,
  type StreamAfter,
  type StreamRead,
  type StreamSince,
  storeFailure,
  storeFailureCode,
} from './store/port.js'
export { licenceNumberOfStream, streamIdFor } from './store/streams.js'
