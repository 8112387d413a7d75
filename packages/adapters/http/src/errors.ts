/**
 * The one place where errors become HTTP status codes (DESIGN §7: the mapping lives only in the
 * transport). Domain and store errors keep their kebab-case code in the body, and a store error its
 * details too (the stream, the version, the expected and actual versions); the transport adds a few
 * codes of its own for what only HTTP can get wrong (no token, a body too large, …).
 *
 * @example
 * statusOfHandlerError('review-not-due') // 422
 * fromHandlerError(concurrencyConflict('licence-11010519491231002X', 3, 4)).body
 * // { error: { code: 'concurrency-conflict', message: '…', streamId: 'licence-…', expected: 3, actual: 4 } }
 * errorBody({ code: 'invalid-command', message: '…', issues: [{ path: 'data.classes', message: '…' }] })
 * // { error: { code: 'invalid-command', message: '…', issues: [ … ] } }
 */
import {
  type ExpectedVersion,
  type HandlerError,
  type HandlerErrorCode,
  handlerErrorCodes,
  type InvalidInputIssue,
  isStoreError,
} from '@elicence/domain'
import type { FastifyReply } from 'fastify'
import { absurd } from 'fp-ts/lib/function.js'

/**
 * Every domain and handler code has a status; a code added to the domain fails to compile here until
 * it is given one. 422 is a refusal by a rule of DESIGN §3; 409 is a race the client may retry;
 * 5xx is only ever the server's own trouble (a store that is down or holds a corrupt event).
 */
const handlerErrorStatus: Readonly<Record<HandlerErrorCode, number>> = {
  'invalid-command': 400,
  forbidden: 403,
  // The account in the token does not hold the licence: the same answer as any other refusal of who.
  'not-licence-holder': 403,
  'licence-not-found': 404,
  'concurrency-conflict': 409,
  // The same commandId was used for a different command: a conflict with what is already recorded.
  'command-id-reused': 409,
  'licence-already-recorded': 422,
  'face-check-failed': 422,
  'validity-start-mismatch': 422,
  'licence-not-eligible': 422,
  'licence-expired': 422,
  'application-open': 422,
  'e-licence-active': 422,
  'no-open-application': 422,
  'application-mismatch': 422,
  'application-not-in-review': 422,
  'review-not-due': 422,
  'photo-not-requested': 422,
  'photo-date-in-future': 422,
  'statuses-unchanged': 422,
  'calendar-not-covered': 422,
  'instant-before-history': 422,
  // The command claims a time ahead of the server's clock (rule 10): a refusal, not a race.
  'instant-in-future': 422,
  'store-failure': 503,
  'corrupt-event': 500,
}

export const statusOfHandlerError = (code: HandlerErrorCode): number => handlerErrorStatus[code]

/**
 * Codes only the transport produces: what only HTTP can get wrong, and the credential route's
 * refusal of a licence without a valid e-licence (a view's state, not a rule of the handler).
 */
const transportErrorCodes = [
  'unauthorized',
  'forbidden',
  'invalid-request',
  'not-found',
  'method-not-allowed',
  'request-timeout',
  'payload-too-large',
  'uri-too-long',
  'unsupported-media-type',
  'header-fields-too-large',
  'shutting-down',
  'internal-error',
  'e-licence-not-valid',
] as const

export type TransportErrorCode = (typeof transportErrorCodes)[number]

/** Every code an error body can carry; the OpenAPI document lists them as the Error's `code` enum. */
export type ErrorCode = HandlerErrorCode | TransportErrorCode

// `forbidden` is both the handler's and the transport's (a token without the role): listed once.
export const errorCodes: ReadonlyArray<ErrorCode> = [
  ...new Set<ErrorCode>([...handlerErrorCodes, ...transportErrorCodes]),
]

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode
    readonly message: string
    /** Invalid input: one entry per failing path. */
    readonly issues?: ReadonlyArray<InvalidInputIssue>
    /** A refusal that has several causes, e.g. why an e-licence is not valid (`expired`, `revoked`). */
    readonly reasons?: ReadonlyArray<string>
    /** A store error: the stream it concerns. */
    readonly streamId?: string
    /** `corrupt-event`: the version of the event that is corrupt. */
    readonly version?: number
    /** `concurrency-conflict`: the version the write expected, and the stream's actual version. */
    readonly expected?: ExpectedVersion
    readonly actual?: number
  }
}

export const errorBody = (error: {
  readonly code: ErrorCode
  readonly message: string
  readonly issues?: ReadonlyArray<InvalidInputIssue> | undefined
  readonly reasons?: ReadonlyArray<string> | undefined
}): ErrorBody => ({
  error: {
    code: error.code,
    message: error.message,
    ...(error.issues === undefined ? {} : { issues: error.issues }),
    ...(error.reasons === undefined ? {} : { reasons: error.reasons }),
  },
})

/** What a store error tells the client; a failure's `cause` stays in the server's log. */
const storeErrorDetails = (error: HandlerError): Omit<ErrorBody['error'], 'code' | 'message'> => {
  if (!isStoreError(error)) return {}
  switch (error.code) {
    case 'concurrency-conflict':
      return { streamId: error.streamId, expected: error.expected, actual: error.actual }
    case 'corrupt-event':
      return { streamId: error.streamId, version: error.version }
    case 'store-failure':
      return {}
    default:
      return absurd(error)
  }
}

export interface HttpFailure {
  readonly status: number
  readonly body: ErrorBody
}

export const fromHandlerError = (error: HandlerError): HttpFailure => {
  const body = errorBody(error)
  return {
    status: statusOfHandlerError(error.code),
    body: { error: { ...body.error, ...storeErrorDetails(error) } },
  }
}

export const transportFailure = (
  status: number,
  code: TransportErrorCode,
  message: string,
  issues?: ReadonlyArray<InvalidInputIssue>,
): HttpFailure => ({ status, body: errorBody({ code, message, issues }) })

/** The 4xx statuses Fastify raises that have a code of their own; any other 4xx is `invalid-request`. */
const frameworkErrorCodes: Readonly<Partial<Record<number, TransportErrorCode>>> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  408: 'request-timeout',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  431: 'header-fields-too-large',
}

/**
 * Errors Fastify raises before a route runs (unparsable JSON, a body over the limit, a content type
 * without a parser, …) carry a 4xx `statusCode`; they keep it, with a code of ours. Anything else is
 * a fault of the server, reported without its details.
 */
export const fromFrameworkError = (error: unknown): HttpFailure => {
  const status =
    error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number'
      ? error.statusCode
      : undefined
  const message = error instanceof Error ? error.message : 'request refused'
  if (status === undefined || status < 400 || status >= 500) {
    return transportFailure(500, 'internal-error', 'the server failed to answer this request')
  }
  return transportFailure(status, frameworkErrorCodes[status] ?? 'invalid-request', message)
}

/**
 * Errors Node's HTTP parser raises on a connection before there is a request to answer (Fastify's
 * `clientErrorHandler`): a request too slow to arrive, header fields over Node's limit, anything
 * else that does not parse as HTTP.
 */
export const fromClientError = (error: { readonly code?: string | undefined }): HttpFailure =>
  error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? transportFailure(408, 'request-timeout', 'the request did not arrive in time')
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? transportFailure(
          431,
          'header-fields-too-large',
          'the request header fields (the URL included) are too large',
        )
      : transportFailure(400, 'invalid-request', 'the request is not valid HTTP')

/** The `WWW-Authenticate` of a 401: the scheme the client should use (RFC 6750 §3). */
export const bearerChallenge = 'Bearer realm="elicence"'

/** Sends a failure; a 401 names the scheme the client should use. */
export const sendFailure = (reply: FastifyReply, failure: HttpFailure): FastifyReply => {
  if (failure.status === 401) reply.header('www-authenticate', bearerChallenge)
  return reply.code(failure.status).send(failure.body)
}
