/**
 * The words of a pg error for an operator: pg's own messages for the time limits ("Query read
 * timeout", "timeout exceeded when trying to connect") do not say which limit, nor how long it was,
 * nor whether the server did not accept a connection or the pool had none free.
 *
 * @example
 * postgresErrorMessage(new Error('Query read timeout'), pool.options)
 * // 'the server did not answer within 17000 ms (query_timeout)'
 */
import type { PoolConfig } from 'pg'

export const postgresErrorMessage = (error: unknown, limits: PoolConfig): string => {
  if (!(error instanceof Error)) return String(error)
  if (error.message === 'Query read timeout')
    return `the server did not answer within ${limits.query_timeout} ms (query_timeout)`
  // pg-pool's words when every connection of a full pool stayed in use: the server may be fine.
  if (error.message === 'timeout exceeded when trying to connect')
    return `no pooled connection became free within ${limits.connectionTimeoutMillis} ms (connect_timeout): all ${limits.max ?? 10} were in use`
  if (error.message === 'Connection terminated due to connection timeout')
    return `could not connect within ${limits.connectionTimeoutMillis} ms (connect_timeout)`
  if (error.message !== '') return error.message
  // Node reports a refused connection to `localhost` as an AggregateError with an empty message.
  const inner =
    error instanceof AggregateError
      ? error.errors.map((each) => postgresErrorMessage(each, limits)).join('; ')
      : ''
  return inner !== '' ? inner : error.name
}

// pg's words, and Node's codes, for a connection that went quiet or away with a query on it.
const lostAnswers = new Set(['Query read timeout', 'Connection terminated unexpectedly'])
const lostConnectionCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT'])

/**
 * Whether a write that failed with `error` may have been committed all the same: the query was
 * sent and its answer never came (pg's query timeout, a connection lost). A server's own error (an
 * SQLSTATE) rolled the transaction back, at COMMIT too, and a connection never made sent nothing.
 */
export const outcomeUnknown = (error: unknown): boolean =>
  error instanceof Error &&
  (lostAnswers.has(error.message) || lostConnectionCodes.has((error as { code?: unknown }).code as string))
