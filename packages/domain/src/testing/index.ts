// @elicence/domain/testing: what embedders reuse in their own tests — fast-check arbitraries, the
// given/when/then specification, and the EventStore conformance suite. Needs vitest and fast-check.
export { type EventStoreHarness, eventStoreConformance, type TamperTarget } from './conformance.js'
export { type FittingKind, type FittingWeightOptions, fittingKind, msUntilExpiry } from './fitting-steps.js'
export {
  coveredStartArb,
  type History,
  type HistoryEntry,
  type HistoryOptions,
  historyArb,
  reachableStateArb,
  recordLicenceArb,
  simulate,
  type TimedEvent,
} from './histories.js'
export { type InvalidCommand, invalidCommandArb } from './invalid-commands.js'
export { type DeciderSpecification, type DeciderThen, deciderSpecification } from './specification.js'
export { commandForStep, commandIdFor } from './step-commands.js'
export { type Step, stepArb } from './steps.js'
export {
  abnormalStatusesArb,
  authorities,
  authorityArb,
  classesArb,
  defectsArb,
  formatInstant,
  holderArb,
  impossibleDateArb,
  instantArb,
  licenceNumberArb,
  localDateArb,
  offsetlessInstantArb,
  statusesArb,
  wrongCheckLicenceNumberArb,
} from './values.js'
