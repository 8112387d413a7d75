/**
 * The transparency log over HTTP (DESIGN §9), readable without a token (it reveals hashes only):
 * - `GET /log/checkpoint`: the latest signed checkpoint, a C2SP signed note (`text/plain`);
 * - `GET /log/proof/inclusion?index=&size=`: RFC 9162 inclusion proof of leaf `index` in the tree
 *   of `size` leaves, `{ treeSize, leafIndex, hashes: [base64…] }`;
 * - `GET /log/proof/consistency?from=&to=`: consistency proof, `{ treeSize, hashes }`.
 * A query that is not a decimal size, or names a leaf or size the tree does not have, is a 400.
 *
 * While the tree grows the server signs a new checkpoint at most every `checkpointIntervalMs`
 * (default 3 s), in the background and when a checkpoint is asked for, and keeps every one. It
 * publishes only its own: the latest its log key signed for its origin, never a note another key
 * or origin left in the same store (`elicence log checkpoint --origin …`). Each request first lets
 * the log catch up, so an event accepted before the request is in its tree.
 *
 * @example
 * // GET /log/proof/inclusion?index=3&size=8 → 200 { "treeSize": 8, "leafIndex": 3, "hashes": ["…", "…", "…"] }
 */
import type { InvalidInputIssue, StoreError } from '@elicence/domain'
import { isLogRangeError, type LogError, type NoteSigner, type TransparencyLog } from '@elicence/projections'
import type { FastifyInstance, FastifyReply } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { fromHandlerError, sendFailure, transportFailure } from '../errors.js'

export interface LogRouteContext {
  readonly log: TransparencyLog
  readonly signer: NoteSigner
  /** The checkpoints' origin line; default the key's name. */
  readonly origin?: string
  readonly checkpointIntervalMs?: number
}

export const defaultCheckpointIntervalMs = 3_000

const sizePattern = /^(0|[1-9][0-9]*)$/

/** The largest tree size or leaf index asked for: a JavaScript number's exact integers (as `Count`). */
const maxTreeSize = Number.MAX_SAFE_INTEGER

/** The named query parameters as tree sizes, or every one that is not. */
const sizesOf = <Name extends string>(
  query: Readonly<Record<string, unknown>>,
  names: ReadonlyArray<Name>,
): E.Either<ReadonlyArray<InvalidInputIssue>, Record<Name, number>> => {
  const issues: InvalidInputIssue[] = []
  const sizes = {} as Record<Name, number>
  for (const name of names) {
    const value = query[name]
    if (typeof value !== 'string' || !sizePattern.test(value))
      issues.push({ path: `query.${name}`, message: 'expected a whole number ≥ 0 in decimal' })
    else if (value.length > 16 || Number(value) > maxTreeSize)
      issues.push({ path: `query.${name}`, message: `expected at most ${maxTreeSize} (2^53 − 1)` })
    else sizes[name] = Number(value)
  }
  return issues.length === 0 ? E.right(sizes) : E.left(issues)
}

export const registerLogRoutes = (app: FastifyInstance, context: LogRouteContext): void => {
  const { log, signer } = context
  const origin = context.origin ?? signer.name
  const intervalMs = context.checkpointIntervalMs ?? defaultCheckpointIntervalMs
  // One catch-up or signing at a time: concurrent ones would only race for the same checkpoint.
  let previous: Promise<unknown> = Promise.resolve()
  const serially = <A>(run: () => Promise<A>): Promise<A> => {
    const next = previous.then(run)
    previous = next.catch(() => undefined)
    return next
  }
  let lastSignedAt = Number.NEGATIVE_INFINITY

  /** Catches up; signs the tree when it grew and the last signature is old enough (or `force`). */
  const refresh = (force: boolean) =>
    serially(async (): Promise<E.Either<StoreError, string | null>> => {
      const head = await log.catchUp()
      if (E.isLeft(head)) return head
      const latest = await log.latestCheckpoint(signer, origin)
      if (E.isLeft(latest)) return latest
      // Elapsed time, not the business clock (which tests and embedders may hold still).
      const now = performance.now()
      const grew = head.right.size > (latest.right?.size ?? 0)
      const stale = latest.right === null ? force || grew : latest.right.size !== head.right.size
      if (!stale || (!force && now - lastSignedAt < intervalMs)) return E.right(latest.right?.note ?? null)
      const signed = await log.signCheckpoint(signer, origin)
      if (E.isLeft(signed)) return signed
      lastSignedAt = now
      return E.right(signed.right.note)
    })

  const timer = setInterval(() => {
    void refresh(false).then((outcome) => {
      if (E.isLeft(outcome))
        app.log.error({ error: outcome.left }, 'the transparency log could not sign a checkpoint')
    })
  }, intervalMs)
  timer.unref()
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await previous
  })

  const sendLogError = (reply: FastifyReply, error: LogError) =>
    isLogRangeError(error)
      ? sendFailure(reply, transportFailure(400, 'invalid-request', error.message))
      : sendFailure(reply, fromHandlerError(error))

  app.get('/log/checkpoint', async (_request, reply) => {
    // Asked for, the newest tree is signed unless one was signed within the interval.
    const note = await refresh(lastSignedAt === Number.NEGATIVE_INFINITY)
    if (E.isLeft(note)) return sendLogError(reply, note.left)
    const text = note.right ?? (await refresh(true).then((again) => (E.isRight(again) ? again.right : null)))
    if (text === null)
      return sendFailure(reply, transportFailure(503, 'shutting-down', 'no checkpoint signed yet'))
    return reply.type('text/plain; charset=utf-8').send(text)
  })

  app.get<{ Querystring: Record<string, unknown> }>('/log/proof/inclusion', async (request, reply) => {
    const sizes = sizesOf(request.query, ['index', 'size'])
    if (E.isLeft(sizes))
      return sendFailure(reply, transportFailure(400, 'invalid-request', 'invalid query', sizes.left))
    const caughtUp = await serially(() => log.catchUp())
    if (E.isLeft(caughtUp)) return sendLogError(reply, caughtUp.left)
    const proof = await log.inclusionProof(sizes.right.index, sizes.right.size)
    return E.isLeft(proof) ? sendLogError(reply, proof.left) : reply.send(proof.right)
  })

  app.get<{ Querystring: Record<string, unknown> }>('/log/proof/consistency', async (request, reply) => {
    const sizes = sizesOf(request.query, ['from', 'to'])
    if (E.isLeft(sizes))
      return sendFailure(reply, transportFailure(400, 'invalid-request', 'invalid query', sizes.left))
    const caughtUp = await serially(() => log.catchUp())
    if (E.isLeft(caughtUp)) return sendLogError(reply, caughtUp.left)
    const proof = await log.consistencyProof(sizes.right.from, sizes.right.to)
    return E.isLeft(proof) ? sendLogError(reply, proof.left) : reply.send(proof.right)
  })
}
