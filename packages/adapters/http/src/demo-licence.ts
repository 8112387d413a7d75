/**
 * The demo licence of `startService({ demo: true })`: one licence recorded by the registry, applied
 * for by its holder a month ago and issued by the scheduled reviewer now, so the holder's page shows
 * a live e-licence with its QR code at once. The service itself sends these commands through the
 * shared handler (it is the embedder, seeding its own store; no client can state a holder's `at`).
 * Fixed command ids make it idempotent: on a restart every command answers with its first outcome.
 *
 * @example
 * await recordDemoLicence(handle, new Date()) // Right('11010519491231002X')
 */
import {
  type CommandHandler,
  type HandlerError,
  isCorruptEvent,
  isStoreFailure,
  type StoreError,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { demoHolderAccountId } from './dev-credentials.js'

export const demoLicenceNumber = '11010519491231002X'

const dayMs = 86_400_000

const demoCommands = (now: Date) => {
  // A month back, past any holiday: the one working day of review has long passed by now.
  const appliedAt = new Date(now.getTime() - 30 * dayMs).toISOString()
  return [
    {
      type: 'RecordLicence',
      data: {
        licenceNumber: demoLicenceNumber,
        holder: { accountId: demoHolderAccountId, name: '张三' },
        classes: ['C1'],
        validFrom: '2022-06-01',
        validUntil: '2032-06-01',
        authority: { code: '京A', name: '北京市公安局公安交通管理局' },
        statuses: ['A'],
        photoOnFile: true,
      },
      metadata: {
        commandId: '0de70000-0000-4000-8000-000000000001',
        at: appliedAt,
        actor: { role: 'registry', id: 'dev-registry' },
      },
    },
    {
      type: 'ApplyForELicence',
      data: {
        licenceNumber: demoLicenceNumber,
        applicationId: 'demo-application-1',
        declaredValidFrom: '2022-06-01',
        faceCheck: { passed: true },
      },
      metadata: {
        commandId: '0de70000-0000-4000-8000-000000000002',
        at: appliedAt,
        actor: { role: 'holder', id: demoHolderAccountId },
      },
    },
    {
      type: 'ReviewApplication',
      data: { licenceNumber: demoLicenceNumber, applicationId: 'demo-application-1' },
      metadata: {
        commandId: '0de70000-0000-4000-8000-000000000003',
        at: now.toISOString(),
        actor: { role: 'system', id: 'dev-system' },
      },
    },
  ]
}

export interface DemoOutcome {
  readonly licenceNumber: string
  /** Refusals met on the way, e.g. the licence was changed since it was first seeded. */
  readonly refusals: ReadonlyArray<HandlerError>
}

/**
 * Seeds the demo licence. A domain refusal (say, the holder withdrew and the review is no longer
 * possible) is reported, not fatal: the licence is there, in whatever state its history left it.
 * Only a store that fails stops it.
 */
export const recordDemoLicence = async (
  handle: CommandHandler,
  now: Date,
): Promise<E.Either<StoreError, DemoOutcome>> => {
  const refusals: HandlerError[] = []
  for (const command of demoCommands(now)) {
    const outcome = await handle(command)
    if (E.isLeft(outcome)) {
      if (isStoreFailure(outcome.left) || isCorruptEvent(outcome.left)) return E.left(outcome.left)
      refusals.push(outcome.left)
    }
  }
  return E.right({ licenceNumber: demoLicenceNumber, refusals })
}
