// @elicence/http: the Fastify transport of DESIGN §7 (JSON API, OpenAPI document, the holder's live
// e-licence page and the verifier's page) and `startService`, the one-command service on SQLite.
export {
  type Authentication,
  authenticate,
  type Capability,
  defaultClockTrustedRoles,
  mayDo,
  parseTokenTable,
  type TokenTable,
} from './auth.js'
export { demoLicenceNumber } from './demo-licence.js'
export {
  type DevTokensFile,
  devTokensFile,
  issuerKeyFile,
  loadIssuerKeys,
  previousIssuerKeysFile,
} from './dev-credentials.js'
export {
  type ErrorBody,
  type ErrorCode,
  errorCodes,
  statusOfHandlerError,
  type TransportErrorCode,
} from './errors.js'
export {
  loadLogSigner,
  logKeyFile,
  logVerifierKeyFile,
  type NoteKeyFiles,
  newNoteKeyFiles,
  readSignerKeyFile,
  readVerifierKeyFile,
  witnessKeyFile,
  witnessVerifierKeyFile,
} from './log-keys.js'
export { openApiDocument } from './openapi.js'
export { checkedPublicUrl, defaultPublicUrl } from './public-url.js'
export { redactStoreUrl } from './redacted-url.js'
export { defaultCheckpointIntervalMs } from './routes/log.js'
export { PresentationToVerify } from './routes/presentations.js'
export { createServer, type ServerOptions } from './server.js'
export { type RunningService, type ServiceError, type ServiceOptions, startService } from './service.js'
