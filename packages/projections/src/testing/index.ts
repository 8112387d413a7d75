// @elicence/projections/testing: what adapters and embedders reuse in their tests — the
// ReadModelStore conformance suite and random licence histories run through the real handler.
// Needs vitest and fast-check.
export {
  decodeHistory,
  type FittingAction,
  type HistoryAction,
  type HistoryScript,
  type HistoryScriptOptions,
  type HistoryStep,
  historyScriptArbitrary,
  licenceNumberFor,
  type ScriptedAction,
  type ScriptedLicence,
} from './histories.js'
export {
  type ConformanceOptions,
  dumpReadModels,
  dyingAfter,
  eventsUpTo,
  readModelStoreConformance,
} from './read-model-store-conformance.js'
export { type HistoryRun, runHistoryScript, type StepDecision } from './run-history.js'
export { transparencyLogConformance } from './transparency-log-conformance.js'
