/**
 * The parser of `application/json` bodies, in place of Fastify's: what it refuses (a `__proto__`
 * member, a `constructor` with a `prototype`, within the body limit) is refused, but saying what is
 * wrong and where; Fastify's says "Body is not valid JSON" for any of them, even for valid JSON with
 * a `__proto__` member, and drops where the syntax broke. An object may name a member only once
 * (JSON.parse would keep the last, a gateway in front perhaps the first). Both rules are the
 * domain's `jsonMemberProblem`, which the CLI applies to the commands, histories and files it reads.
 * And the body must be UTF-8 (RFC 8259 §8.1):
 * Fastify decodes other bytes to U+FFFD, so a presentation or a name with a stray byte arrived
 * silently changed.
 *
 * @example
 * app.removeContentTypeParser('application/json')
 * app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody)
 * // '{"a": }'            → 400 "the body is not valid JSON: Unexpected token '}', …"
 * // '{"__proto__": {}}'  → 400 "the body is refused: the top-level object has a \"__proto__\" member, …"
 * // '{"a":1,"a":2}'      → 400 "the body is refused: the member \"a\" appears twice in the top-level object: …"
 */
import { jsonMemberProblem } from '@elicence/domain'
import type { FastifyRequest } from 'fastify'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Marks a refusal of a body this parser had read whole: the connection may carry on. Fastify closes
 * it after any parser error, as a body left unread would be taken for the next request; but then a
 * command pipelined behind the refused body is still run, and its answer never sent.
 */
const bodyReadWhole = Symbol('body read whole')

/** Whether `error` refused a body that was read whole (`bodyReadWhole`). */
export const refusedReadBody = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { [bodyReadWhole]?: boolean })[bodyReadWhole] === true

const refusal = (message: string, statusCode = 400): Error =>
  Object.assign(new Error(message), { statusCode, [bodyReadWhole]: true })

/**
 * What the request says of its body's bytes that this parser cannot honour, as a 415: a content
 * coding (gzip, br: RFC 9110 §8.4 answers one it does not support with 415, where reading the
 * compressed bytes as text would only say "not UTF-8"), or a charset other than UTF-8, which JSON
 * has no other of (RFC 8259 §8.1).
 */
const unsupportedEncoding = (request: FastifyRequest): Error | undefined => {
  const coding = request.headers['content-encoding']?.trim().toLowerCase()
  if (coding !== undefined && coding !== '' && coding !== 'identity')
    return refusal(
      `the body is sent with Content-Encoding ${coding}, which this service does not decode: send it uncompressed`,
      415,
    )
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]
  if (charset !== undefined && !/^utf-?8$/i.test(charset))
    return refusal(
      `the body is declared charset ${charset}: JSON is UTF-8 (RFC 8259 §8.1), send it as UTF-8`,
      415,
    )
  return undefined
}

/** The body parsed, or why it is refused: a 400 that `fromFrameworkError` answers as `invalid-request`. */
const parsedJsonBody = (bytes: Uint8Array): { readonly body: unknown } | { readonly error: Error } => {
  if (bytes.length === 0) return { error: refusal('the body is empty: send a JSON object') }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { error: refusal('the body is not UTF-8 text, as JSON must be (RFC 8259 §8.1)') }
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    return {
      error: refusal(`the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`),
    }
  }
  const problem = jsonMemberProblem(body, text)
  return problem === undefined ? { body } : { error: refusal(`the body is refused: ${problem}`) }
}

/**
 * Fastify's content type parser over `parsedJsonBody`. `done` runs the route, so it is called
 * outside any `try`: a route's throw is never taken for a parse error, as Fastify's own takes it.
 */
export const parseJsonBody = (
  request: FastifyRequest,
  bytes: Buffer,
  done: (error: Error | null, body?: unknown) => void,
): void => {
  const unsupported = unsupportedEncoding(request)
  if (unsupported !== undefined) {
    done(unsupported)
    return
  }
  const parsed = parsedJsonBody(bytes)
  if ('error' in parsed) done(parsed.error)
  else done(null, parsed.body)
}
