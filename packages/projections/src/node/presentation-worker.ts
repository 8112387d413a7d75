// One worker thread of `presentationVerifierThreads`: it checks presentations in all but their status
// (`presentationChecker`, with node:crypto's SHA-256 and KeyObjects) and posts each outcome back by
// its id. Only data crosses: the JWKS and options come as workerData, texts and outcomes as messages.
import { parentPort, workerData } from 'node:worker_threads'
import { presentationChecker } from '../credential/presentation-checks.js'
import { nodeSha256 } from './sha256.js'
import { nodeSignatureBackend } from './signatures.js'
import type {
  PresentationWorkerData,
  PresentationWorkerReply,
  PresentationWorkerRequest,
} from './verifier-threads.js'

const port = parentPort
if (port === null) throw new Error('presentation-worker.js runs as a worker thread')

const check = presentationChecker({
  ...(workerData as PresentationWorkerData),
  sha256: nodeSha256,
  signatures: nodeSignatureBackend,
})

port.on('message', ({ id, text, check: presentationCheck }: PresentationWorkerRequest) => {
  check(text, presentationCheck).then(
    (checked) => port.postMessage({ id, checked } satisfies PresentationWorkerReply),
    (error: unknown) =>
      port.postMessage({
        id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies PresentationWorkerReply),
  )
})

// Ready: the checks count their deadline from here, not from the worker's start.
port.postMessage({ ready: true } satisfies PresentationWorkerReply)
