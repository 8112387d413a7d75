/**
 * Decoding a route's JSON body with its io-ts codec, as a 400 `invalid-request` naming every failing
 * path (prefixed `body.`) and what was expected. A body nested deeper than `maxJsonDepth` is refused
 * first, before the codec (and its error report) recurse into it: a 64 KiB `[[[[…` would otherwise
 * overflow the stack and answer 500.
 *
 * @example
 * decodeRequestBody(CredentialRequest, request.body, 'expected { "holderKey": <public JWK> }')
 * // Left({ status: 400, body: { error: { code: 'invalid-request', issues: [{ path: 'body.holderKey', … }] } } })
 */
import { jsonDepthProblem, validationIssues } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import { type HttpFailure, transportFailure } from '../errors.js'

export const decodeRequestBody = <A>(
  codec: t.Decoder<unknown, A>,
  body: unknown,
  expected: string,
  /** Rewrites a codec path into the body's (an intersection's member index is no part of it). */
  pathOf: (codecPath: string) => string = (path) => path,
): E.Either<HttpFailure, A> => {
  const tooDeep = jsonDepthProblem(body)
  if (tooDeep !== undefined) {
    return E.left(transportFailure(400, 'invalid-request', expected, [{ path: 'body', message: tooDeep }]))
  }
  return E.mapLeft((errors: t.Errors) =>
    transportFailure(
      400,
      'invalid-request',
      expected,
      validationIssues(errors).map((issue) => ({ ...issue, path: `body.${pathOf(issue.path)}` })),
    ),
  )(codec.decode(body))
}
