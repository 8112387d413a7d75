// @elicence/projections/node/credentials: the credential parts that need Node (node:crypto keys,
// worker threads). An entry of its own, apart from ./node, because they load the SD-JWT and JOSE
// libraries: a store adapter or a partition worker that takes node's SHA-256 from ./node does not.

export {
  type CredentialThreads,
  type CredentialThreadsOptions,
  credentialThreads,
  defaultCredentialTaskDeadlineMs,
} from './credential-threads.js'
export {
  isUsableEd25519Key,
  nodeEd25519Signer,
  nodeSignatureBackend,
  nodeThreadPoolSignatureBackend,
} from './signatures.js'
