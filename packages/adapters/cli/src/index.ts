// @elicence/cli: the `elicence` binary (src/main.ts) and what embedders reuse of it: a store opened
// from a URL, and the commands as functions (the binary's exit codes stay in the binary).
export { type CliIo, type Line, readLines } from './cli-io.js'
export { auditCommand } from './commands/audit.js'
export { type CliCommand, storeEnvironmentVariable } from './commands/command.js'
export { execCommand, execCommands } from './commands/exec.js'
export { exportCommand, exportHistory, exportPageSize } from './commands/export.js'
export { importCommand, importHistory, writeHistory } from './commands/import.js'
export { verifyCommand } from './commands/verify.js'
export { viewCommand } from './commands/view.js'
export { checkHistory, type HistoryCheck, type HistoryVerdict } from './history-check.js'
export { historyLineOf, parseHistoryLine } from './history-file.js'
export { commands, main } from './main.js'
export {
  type InvalidStoreUrl,
  invalidStoreUrlCode,
  isInvalidStoreUrl,
  type OpenStoreError,
  type OpenStoreOptions,
  openEventStore,
  openReadModelStore,
  parseStoreUrl,
  redactStoreUrl,
  type StoreLocation,
} from './store-url.js'
