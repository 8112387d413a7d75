/**
 * Issuing credentials and checking presentations on worker threads, for a service on more than one
 * core. What costs runs on `threads` workers (`credential-worker.js`): making and signing the SD-JWT
 * VC (`credentialIssuer`), and every check of a presentation but its status (`presentationChecker`:
 * two signatures, the disclosures' digests, the decoding), with node:crypto. What needs the
 * service's state stays on the calling thread: the status index a credential gets (allocated before
 * it is issued) and the status step of a verification, where the status lists are
 * (`presentationStatusChecker`). The results are those of `credentialIssuer` and
 * `presentationVerifier`: same claims, same checks, same reasons in the same order.
 *
 * Each task goes to the worker with the fewest in flight, and it and its outcome cross as soon as
 * they are made, one message each. Batched per turn of an event loop, they moved in waves: a worker
 * checked a whole batch while this thread waited for its answers, then this thread answered and
 * read the next requests while the worker waited, each idle about half the time. One at a time,
 * one worker verified 1,750 presentations/s where it had verified 1,204 (medians of eight
 * interleaved runs on two cores, every run faster) and issued about 40 % more credentials; two
 * workers, whose threads already filled the cores, verify as many as before (1,833 and 1,710/s).
 * A worker that fails or exits fails the tasks it held (their promises reject with why) and is
 * started again for the next one; a task that takes longer than `deadlineMs` on a started worker
 * fails, and its worker, which may hang, is stopped. `close` stops them all; tasks still in flight then fail.
 * From the TypeScript sources (as the tests run) the workers need a TypeScript loader in `execArgv`.
 *
 * @example
 * const threads = credentialThreads({ keys, issuer, jwks: keys.jwks, statusList, threads: 1 })
 * await threads.issue(view, { holderKey, status, now: Date.now() }) // 'eyJ…~WyJ…~'
 * await threads.verify(text, { now: Date.now() })                   // { valid, reasons, status, … }
 * await threads.close()
 */
import { Worker } from 'node:worker_threads'
import { credentialCacheSizeProblem } from '../credential/credential-cache.js'
import type { CredentialIssuer, IssueRequest } from '../credential/issue.js'
import type { IssuerSigningKey } from '../credential/issuer-keys.js'
import type { CheckedPresentation, PresentationCheckerOptions } from '../credential/presentation-checks.js'
import {
  type PresentationCheck,
  type PresentationVerifier,
  type PresentationVerifierOptions,
  presentationStatusChecker,
} from '../credential/verify.js'
import type { ELicenceView } from '../views/e-licence.js'
import { nodeSignatureBackend } from './signatures.js'

/** What a worker is made with: only data (and the issuer's CryptoKey, which clones) crosses. */
export interface CredentialWorkerData {
  readonly checker: Omit<PresentationCheckerOptions, 'sha256' | 'sha256Base64Url' | 'signatures'>
  readonly keys: IssuerSigningKey
  readonly issuer: string
  readonly lifetimeSeconds?: number
}

export type CredentialWorkerRequest =
  | { readonly id: number; readonly kind: 'check'; readonly text: string; readonly check: PresentationCheck }
  | {
      readonly id: number
      readonly kind: 'issue'
      readonly view: ELicenceView
      readonly request: IssueRequest
    }

export type CredentialWorkerReply =
  | { readonly ready: true }
  | { readonly id: number; readonly checked: CheckedPresentation }
  | { readonly id: number; readonly credential: string }
  | { readonly id: number; readonly error: string }

export interface CredentialThreadsOptions
  extends Omit<PresentationVerifierOptions, 'sha256' | 'sha256Base64Url' | 'signatures'> {
  /** The issuer's current key: it signs the credentials. */
  readonly keys: IssuerSigningKey
  /** The service's public URL: `iss` of the credentials, and the only `iss` presentations may name. */
  readonly issuer: string
  readonly lifetimeSeconds?: number
  /** How many worker threads, at least 1. */
  readonly threads: number
  /**
   * How long one task may take on a started worker before it fails, in ms (default 5,000): a hung
   * worker is stopped. A worker's start (loading its modules) is not counted; it has 30 s of its own.
   */
  readonly deadlineMs?: number
  readonly execArgv?: ReadonlyArray<string>
  /** The worker module; default `credential-worker.js` beside this one (tests give one that fails on cue). */
  readonly workerUrl?: URL
}

export interface CredentialThreads {
  readonly issue: CredentialIssuer
  readonly verify: PresentationVerifier
  /** Stops the workers; tasks in flight fail. */
  readonly close: () => Promise<void>
}

export const defaultCredentialTaskDeadlineMs = 5_000
const startDeadlineMs = 30_000

// From the built package the worker is credential-worker.js beside this file; from the TypeScript
// sources it is the .ts file, which Node loads only with a loader in `execArgv`.
const workerUrl = (): URL =>
  new URL(
    import.meta.url.endsWith('.ts') ? './credential-worker.ts' : './credential-worker.js',
    import.meta.url,
  )

type Outcome = { readonly checked: CheckedPresentation } | { readonly credential: string }

interface InFlight {
  readonly resolve: (outcome: Outcome) => void
  readonly reject: (error: Error) => void
  deadline: NodeJS.Timeout | undefined
}

interface Slot {
  worker: Worker | undefined
  /** Whether the worker said it is ready: tasks count their deadline from then. */
  ready: boolean
  /** Starts a task's deadline on the slot's current worker. */
  deadlineOf: (entry: InFlight) => void
  readonly inFlight: Map<number, InFlight>
}

// Distributes over the union: each request kind without its id.
type Task = CredentialWorkerRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

export const credentialThreads = (options: CredentialThreadsOptions): CredentialThreads => {
  if (!Number.isInteger(options.threads) || options.threads < 1)
    throw new Error(`threads must be a positive integer, got ${options.threads}`)
  // Refused here, not by each worker as it starts (which would fail every task it is given).
  const cacheProblem = credentialCacheSizeProblem(options.credentialCacheSize)
  if (cacheProblem !== undefined) throw new Error(cacheProblem)
  const deadlineMs = options.deadlineMs ?? defaultCredentialTaskDeadlineMs
  const {
    threads: _threads,
    deadlineMs: _deadline,
    execArgv,
    workerUrl: url,
    statusList,
    keys,
    lifetimeSeconds,
    ...checker
  } = options
  const workerData: CredentialWorkerData = {
    checker,
    keys: { kid: keys.kid, signingKey: keys.signingKey },
    issuer: options.issuer,
    ...(lifetimeSeconds === undefined ? {} : { lifetimeSeconds }),
  }
  const completed = presentationStatusChecker({
    jwks: options.jwks,
    signatures: nodeSignatureBackend,
    ...(statusList === undefined ? {} : { statusList }),
  })
  const slots: Slot[] = Array.from({ length: options.threads }, () => ({
    worker: undefined,
    ready: false,
    deadlineOf: () => undefined,
    inFlight: new Map(),
  }))
  let nextId = 0
  let closed = false

  const stop = (slot: Slot, worker: Worker, why: string): void => {
    if (slot.worker !== worker) return
    slot.worker = undefined
    slot.ready = false
    for (const entry of slot.inFlight.values()) {
      clearTimeout(entry.deadline)
      entry.reject(new Error(why))
    }
    slot.inFlight.clear()
    void worker.terminate()
  }

  const start = (slot: Slot): Worker => {
    const worker = new Worker(url ?? workerUrl(), {
      workerData,
      ...(execArgv === undefined ? {} : { execArgv: [...execArgv] }),
    })
    const started = setTimeout(
      () => stop(slot, worker, `the credential worker did not start within ${startDeadlineMs} ms`),
      startDeadlineMs,
    )
    const deadlineOf = (entry: InFlight): void => {
      entry.deadline = setTimeout(
        () => stop(slot, worker, `a credential task took longer than ${deadlineMs} ms`),
        deadlineMs,
      )
    }
    worker.on('message', (reply: CredentialWorkerReply) => {
      if ('ready' in reply) {
        clearTimeout(started)
        slot.ready = true
        for (const entry of slot.inFlight.values()) deadlineOf(entry)
        return
      }
      const entry = slot.inFlight.get(reply.id)
      if (entry === undefined) return
      slot.inFlight.delete(reply.id)
      clearTimeout(entry.deadline)
      if ('error' in reply) entry.reject(new Error(`the credential worker failed the task: ${reply.error}`))
      else entry.resolve(reply)
    })
    worker.on('error', (error) => stop(slot, worker, `the credential worker failed: ${error.message}`))
    worker.on('exit', (code) => {
      clearTimeout(started)
      stop(slot, worker, `the credential worker exited (${code})`)
    })
    slot.worker = worker
    slot.deadlineOf = deadlineOf
    return worker
  }

  const run = (task: Task): Promise<Outcome> =>
    new Promise((resolve, reject) => {
      if (closed) {
        reject(new Error('the credential workers are closed'))
        return
      }
      const slot = slots.reduce((least, candidate) =>
        candidate.inFlight.size < least.inFlight.size ? candidate : least,
      )
      const worker = slot.worker ?? start(slot)
      const id = nextId++
      const entry: InFlight = { resolve, reject, deadline: undefined }
      if (slot.ready) slot.deadlineOf(entry)
      slot.inFlight.set(id, entry)
      worker.postMessage({ ...task, id } satisfies CredentialWorkerRequest)
    })

  return {
    issue: async (view, request) => {
      const outcome = await run({ kind: 'issue', view, request })
      if (!('credential' in outcome)) throw new Error('the credential worker answered an issue with a check')
      return outcome.credential
    },
    verify: async (text, check) => {
      const outcome = await run({ kind: 'check', text, check })
      if (!('checked' in outcome)) throw new Error('the credential worker answered a check with a credential')
      return completed(outcome.checked, Math.floor(check.now / 1000))
    },
    close: async () => {
      closed = true
      await Promise.all(
        slots.map((slot) => {
          const { worker } = slot
          if (worker === undefined) return undefined
          stop(slot, worker, 'the credential workers are closed')
          return worker.terminate()
        }),
      )
    },
  }
}
