// One worker thread of `presentationVerifierThreads`: it checks presentations in all but their status
// (`presentationChecker`, with node:crypto's SHA-256 and KeyObjects) and posts each outcome back by
// its id, in batches both ways. Only data crosses: the JWKS and options come as workerData, texts and outcomes as messages.
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

// Replies go back together, one message per turn of this thread's event loop: each message wakes
// the other thread, and that costs about as much as the structured clone of a reply.
let outbox: PresentationWorkerReply[] = []
const reply = (message: PresentationWorkerReply): void => {
  if (outbox.length === 0)
    setImmediate(() => {
      const sending = outbox
      outbox = []
      port.postMessage(sending)
    })
  outbox.push(message)
}

port.on('message', (requests: ReadonlyArray<PresentationWorkerRequest>) => {
  for (const { id, text, check: presentationCheck } of requests) {
    check(text, presentationCheck).then(
      (checked) => reply({ id, checked }),
      (error: unknown) => reply({ id, error: error instanceof Error ? error.message : String(error) }),
    )
  }
})

// Ready: the checks count their deadline from here, not from the worker's start.
reply({ ready: true })
