/**
 * Bearer-token authentication and the role policy of the HTTP transport. Tokens are configuration
 * (a table from token to actor), never constants in code; the policy says which roles may reach
 * which route, and a holder only ever reaches their own licence.
 *
 * @example
 * const tokens = parseTokenTable({ 's3cret-s3cret-s3cret': { role: 'auditor', id: 'audit-1' } })
 * // Right(Map { 's3cret-s3cret-s3cret' => { role: 'auditor', id: 'audit-1' } })
 * authenticate(tokens, 'Bearer s3cret-s3cret-s3cret') // { _tag: 'Authenticated', actor: { role: 'auditor', id: 'audit-1' } }
 */
import { timingSafeEqual } from 'node:crypto'
import { type Actor, Actor as ActorCodec, type ActorRole, aRole, validationIssues } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { type HttpFailure, transportFailure } from './errors.js'

/** Token → actor. A `Map` so that a token such as `__proto__` is just another key. */
export type TokenTable = ReadonlyMap<string, Actor>

/**
 * Decodes a token table from configuration (`{ "<token>": { "role": …, "id": … } }`), listing every
 * bad entry. Tokens shorter than 16 characters are refused: they would be guessable.
 */
export const parseTokenTable = (json: unknown): E.Either<string, TokenTable> => {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return E.left('the token table must be an object of token → { role, id }')
  }
  const problems: string[] = []
  const table = new Map<string, Actor>()
  for (const [token, value] of Object.entries(json)) {
    if (token.length < 16) problems.push(`token ${token.slice(0, 4)}…: shorter than 16 characters`)
    const actor = ActorCodec.decode(value)
    if (E.isLeft(actor)) {
      for (const issue of validationIssues(actor.left)) {
        problems.push(`token ${token.slice(0, 4)}…: ${issue.path}: ${issue.message}`)
      }
    } else {
      table.set(token, actor.right)
    }
  }
  return problems.length > 0 ? E.left(problems.join('; ')) : E.right(table)
}

export type Authentication =
  | { readonly _tag: 'Authenticated'; readonly actor: Actor }
  | { readonly _tag: 'Missing' }
  | { readonly _tag: 'Unknown' }

const bearerPattern = /^Bearer +([\x21-\x7e]+) *$/i

/**
 * Looks a bearer token up. Each candidate is compared in constant time, so response timing does not
 * tell how much of a guessed token was right.
 */
export const authenticate = (tokens: TokenTable, header: string | undefined): Authentication => {
  if (header === undefined || header === '') return { _tag: 'Missing' }
  const match = bearerPattern.exec(header)
  const presented = match?.[1]
  if (presented === undefined) return { _tag: 'Unknown' }
  const presentedBytes = Buffer.from(presented)
  let found: Actor | undefined
  for (const [token, actor] of tokens) {
    const tokenBytes = Buffer.from(token)
    if (tokenBytes.length === presentedBytes.length && timingSafeEqual(tokenBytes, presentedBytes)) {
      found = actor
    }
  }
  return found === undefined ? { _tag: 'Unknown' } : { _tag: 'Authenticated', actor: found }
}

/** What a route does, as far as the role policy is concerned. */
export type Capability =
  | 'send-commands'
  | 'read-licence'
  | 'read-events'
  | 'read-verification'
  | 'obtain-credential'
  | 'verify-presentation'
  | 'read-review-queue'

/**
 * What the roles that run the scheme may do: the registry, reviewers and scheduled jobs alike, since
 * the domain, not the transport, tells apart which of them may send which command.
 */
const operatorCapabilities: ReadonlyArray<Capability> = [
  'send-commands',
  'read-licence',
  'read-events',
  'read-verification',
  'verify-presentation',
  'read-review-queue',
]

/**
 * Which roles may do what. The domain decides which role may send which command (`forbidden`);
 * here only roles that may send none are kept out. A holder's capabilities apply to their own
 * licence only (checked against the licence's holder account by the routes).
 */
const capabilities: Readonly<Record<ActorRole, ReadonlySet<Capability>>> = {
  holder: new Set(['send-commands', 'read-licence', 'read-events', 'read-verification', 'obtain-credential']),
  registry: new Set(operatorCapabilities),
  reviewer: new Set(operatorCapabilities),
  system: new Set(operatorCapabilities),
  // "a verifier only verifies": a police terminal, a car-rental company or an insurer.
  verifier: new Set(['read-verification', 'verify-presentation']),
  // "reads everything, changes nothing": no commands, and no credentials, which only a holder obtains.
  auditor: new Set(operatorCapabilities.filter((capability) => capability !== 'send-commands')),
}

export const mayDo = (actor: Actor, capability: Capability): boolean =>
  capabilities[actor.role].has(capability)

/** Authentication alone: the actor of a known bearer token, 401 without one. */
export const authenticated = (
  tokens: TokenTable,
  authorization: string | undefined,
): E.Either<HttpFailure, Actor> => {
  const authentication = authenticate(tokens, authorization)
  switch (authentication._tag) {
    case 'Missing':
      return E.left(transportFailure(401, 'unauthorized', 'a bearer token is required'))
    case 'Unknown':
      return E.left(transportFailure(401, 'unauthorized', 'the bearer token is not recognised'))
    case 'Authenticated':
      return E.right(authentication.actor)
  }
}

/** The role policy alone: the actor, or 403 for a role without the capability. */
export const permitted = (actor: Actor, capability: Capability): E.Either<HttpFailure, Actor> =>
  mayDo(actor, capability)
    ? E.right(actor)
    : E.left(transportFailure(403, 'forbidden', `${aRole(actor.role)} may not ${describe[capability]}`))

/**
 * Authentication then the role policy: 401 without a known token, 403 for a role without the
 * capability. Routes that take input check it between the two (`authenticated`, then `permitted`),
 * since invalid input comes before `forbidden` (DESIGN §3's order).
 */
export const authorise = (
  tokens: TokenTable,
  authorization: string | undefined,
  capability: Capability,
): E.Either<HttpFailure, Actor> => {
  const actor = authenticated(tokens, authorization)
  return E.isLeft(actor) ? actor : permitted(actor.right, capability)
}

const describe: Readonly<Record<Capability, string>> = {
  'send-commands': 'send commands',
  'read-licence': 'read licences',
  'read-events': 'read event histories',
  'read-verification': 'verify licences',
  'obtain-credential': 'obtain credentials',
  'verify-presentation': 'verify presentations',
  'read-review-queue': 'read the review queue',
}

/**
 * Roles whose clients may state `metadata.at` themselves: the registry (it records what its own
 * systems decided, possibly earlier) and scheduled jobs. Everyone else gets the server's clock, so a
 * holder cannot backdate an application and a reviewer cannot post-date a review to beat the
 * one-working-day wait.
 */
export const defaultClockTrustedRoles: ReadonlyArray<ActorRole> = ['registry', 'system']
