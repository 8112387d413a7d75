// One worker thread of `credentialThreads`: it issues credentials (`credentialIssuer`, signing with
// node:crypto) and checks presentations in all but their status (`presentationChecker`, with
// node:crypto's SHA-256 and KeyObjects), and posts each outcome back by its id as soon as it is
// made. Only data crosses: the options and the issuer's CryptoKey come as workerData, tasks and
// outcomes as messages.
import { parentPort, workerData } from 'node:worker_threads'
import { credentialIssuer } from '../credential/issue.js'
import { presentationChecker } from '../credential/presentation-checks.js'
import type {
  CredentialWorkerData,
  CredentialWorkerReply,
  CredentialWorkerRequest,
} from './credential-threads.js'
import { nodeSha256, nodeSha256Base64Url } from './sha256.js'
import { nodeEd25519Signer, nodeSignatureBackend } from './signatures.js'

const port = parentPort
if (port === null) throw new Error('credential-worker.js runs as a worker thread')

const data = workerData as CredentialWorkerData
const check = presentationChecker({
  ...data.checker,
  sha256: nodeSha256,
  sha256Base64Url: nodeSha256Base64Url,
  signatures: nodeSignatureBackend,
})
const issue = credentialIssuer({
  keys: data.keys,
  issuer: data.issuer,
  sha256: nodeSha256,
  sign: nodeEd25519Signer(data.keys.signingKey),
  ...(data.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: data.lifetimeSeconds }),
})

const reply = (message: CredentialWorkerReply): void => port.postMessage(message)

const failed =
  (id: number) =>
  (error: unknown): void =>
    reply({ id, error: error instanceof Error ? error.message : String(error) })

port.on('message', (request: CredentialWorkerRequest) => {
  const { id } = request
  if (request.kind === 'check')
    check(request.text, request.check).then((checked) => reply({ id, checked }), failed(id))
  else issue(request.view, request.request).then((credential) => reply({ id, credential }), failed(id))
})

// Ready: the tasks count their deadline from here, not from the worker's start.
reply({ ready: true })
