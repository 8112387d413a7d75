/**
 * The presentation verifier on worker threads, for a service on more than one core: the checks that
 * cost (two signature verifications, the disclosures' digests, the decoding) run on `threads`
 * workers (`presentation-worker.js`, `presentationChecker` with node:crypto), the status step on the
 * calling thread, where the status lists are (`presentationStatusChecker`). The verdict is the one
 * `presentationVerifier` gives: same checks, same reasons, in the same order.
 *
 * Each check goes to the worker with the fewest in flight; checks and their outcomes cross in
 * batches, one message per thread per turn of its event loop, as each message wakes a thread. A worker that fails or exits fails the
 * checks it held (the promise rejects with why) and is started again for the next one; a check that
 * takes longer than `deadlineMs` fails, and its worker, which may hang, is stopped. `close` stops
 * them all; checks still in flight then fail. From the TypeScript sources (as the tests run) the
 * workers need a TypeScript loader in `execArgv`.
 *
 * @example
 * const threads = presentationVerifierThreads({ jwks, issuer, statusList, threads: 1 })
 * await threads.verify(text, { now: Date.now() }) // { valid, reasons, status, disclosed, … }
 * await threads.close()
 */
import { Worker } from 'node:worker_threads'
import type { CheckedPresentation, PresentationCheckerOptions } from '../credential/presentation-checks.js'
import {
  type PresentationCheck,
  type PresentationVerifier,
  type PresentationVerifierOptions,
  presentationStatusChecker,
} from '../credential/verify.js'
import { nodeSignatureBackend } from './signatures.js'

/** What a worker is made with: only data crosses to another thread. */
export type PresentationWorkerData = Omit<PresentationCheckerOptions, 'sha256' | 'signatures'>

export interface PresentationWorkerRequest {
  readonly id: number
  readonly text: string
  readonly check: PresentationCheck
}

export type PresentationWorkerReply =
  | { readonly ready: true }
  | { readonly id: number; readonly checked: CheckedPresentation }
  | { readonly id: number; readonly error: string }

export interface PresentationVerifierThreadsOptions
  extends Omit<PresentationVerifierOptions, 'sha256' | 'signatures'> {
  /** How many worker threads check presentations, at least 1. */
  readonly threads: number
  /**
   * How long one check may take on a started worker before it fails, in ms (default 5,000): a hung
   * worker is stopped. A worker's start (loading its modules) is not counted; it has 30 s of its own.
   */
  readonly deadlineMs?: number
  readonly execArgv?: ReadonlyArray<string>
  /** The worker module; default `presentation-worker.js` beside this one (tests give one that fails on cue). */
  readonly workerUrl?: URL
}

export interface PresentationVerifierThreads {
  readonly verify: PresentationVerifier
  /** Stops the workers; checks in flight fail. */
  readonly close: () => Promise<void>
}

export const defaultPresentationCheckDeadlineMs = 5_000
const startDeadlineMs = 30_000

// From the built package the worker is presentation-worker.js beside this file; from the
// TypeScript sources it is the .ts file, which Node loads only with a loader in `execArgv`.
const workerUrl = (): URL =>
  new URL(
    import.meta.url.endsWith('.ts') ? './presentation-worker.ts' : './presentation-worker.js',
    import.meta.url,
  )

interface InFlight {
  readonly resolve: (checked: CheckedPresentation) => void
  readonly reject: (error: Error) => void
  deadline: NodeJS.Timeout | undefined
}

interface Slot {
  worker: Worker | undefined
  /** Whether the worker said it is ready: checks count their deadline from then. */
  ready: boolean
  /** Starts a check's deadline on the slot's current worker. */
  deadlineOf: (entry: InFlight) => void
  readonly inFlight: Map<number, InFlight>
}

export const presentationVerifierThreads = (
  options: PresentationVerifierThreadsOptions,
): PresentationVerifierThreads => {
  if (!Number.isInteger(options.threads) || options.threads < 1)
    throw new Error(`threads must be a positive integer, got ${options.threads}`)
  const deadlineMs = options.deadlineMs ?? defaultPresentationCheckDeadlineMs
  const {
    threads: _threads,
    deadlineMs: _deadline,
    execArgv,
    workerUrl: url,
    statusList,
    ...checker
  } = options
  const workerData: PresentationWorkerData = checker
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

  const failAll = (slot: Slot, error: Error): void => {
    for (const entry of slot.inFlight.values()) {
      clearTimeout(entry.deadline)
      entry.reject(error)
    }
    slot.inFlight.clear()
  }

  const stop = (slot: Slot, worker: Worker, why: string): void => {
    if (slot.worker !== worker) return
    slot.worker = undefined
    slot.ready = false
    failAll(slot, new Error(why))
    void worker.terminate()
  }

  const start = (slot: Slot): Worker => {
    const worker = new Worker(url ?? workerUrl(), {
      workerData,
      ...(execArgv === undefined ? {} : { execArgv: [...execArgv] }),
    })
    const started = setTimeout(
      () => stop(slot, worker, `the presentation worker did not start within ${startDeadlineMs} ms`),
      startDeadlineMs,
    )
    const deadlineOf = (entry: InFlight): void => {
      entry.deadline = setTimeout(
        () => stop(slot, worker, `checking a presentation took longer than ${deadlineMs} ms`),
        deadlineMs,
      )
    }
    worker.on('message', (replies: ReadonlyArray<PresentationWorkerReply>) => {
      for (const reply of replies) {
        if ('ready' in reply) {
          clearTimeout(started)
          slot.ready = true
          for (const entry of slot.inFlight.values()) deadlineOf(entry)
          continue
        }
        const entry = slot.inFlight.get(reply.id)
        if (entry === undefined) continue
        slot.inFlight.delete(reply.id)
        clearTimeout(entry.deadline)
        if ('error' in reply) entry.reject(new Error(`checking the presentation failed: ${reply.error}`))
        else entry.resolve(reply.checked)
      }
    })
    worker.on('error', (error) => stop(slot, worker, `the presentation worker failed: ${error.message}`))
    worker.on('exit', (code) => {
      clearTimeout(started)
      stop(slot, worker, `the presentation worker exited (${code})`)
    })
    slot.worker = worker
    slot.deadlineOf = deadlineOf
    return worker
  }

  // Requests go out together, one message per worker per turn of the event loop (see the worker).
  const outboxes = new Map<Worker, PresentationWorkerRequest[]>()
  const send = (slot: Slot, worker: Worker, request: PresentationWorkerRequest): void => {
    const outbox = outboxes.get(worker)
    if (outbox !== undefined) {
      outbox.push(request)
      return
    }
    outboxes.set(worker, [request])
    setImmediate(() => {
      const requests = outboxes.get(worker) ?? []
      outboxes.delete(worker)
      if (slot.worker === worker) worker.postMessage(requests)
    })
  }

  const dispatch = (text: string, check: PresentationCheck): Promise<CheckedPresentation> =>
    new Promise((resolve, reject) => {
      if (closed) {
        reject(new Error('the presentation verifier is closed'))
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
      send(slot, worker, { id, text, check })
    })

  return {
    verify: async (text, check) => completed(await dispatch(text, check), Math.floor(check.now / 1000)),
    close: async () => {
      closed = true
      await Promise.all(
        slots.map((slot) => {
          const { worker } = slot
          if (worker === undefined) return undefined
          stop(slot, worker, 'the presentation verifier is closed')
          return worker.terminate()
        }),
      )
    },
  }
}
