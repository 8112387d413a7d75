/**
 * `elicence witness`: a witness of the transparency log (DESIGN §9, C2SP tlog-cosignature). It keeps
 * the last checkpoint it accepted from each log in its state folder; given a newer checkpoint, it
 * checks the log's signature and — against what it saw before — the consistency proof, then prints
 * the checkpoint with its cosignature line added and remembers it. A log operator who forks history
 * (rewrites what a witness already saw) must fool every witness: this one refuses a smaller tree, a
 * tree of the same size with another root, and a larger tree that does not extend the old one.
 * The first checkpoint of a log is accepted on its signature alone (trust on first use).
 *
 * @example
 * $ elicence log prove --store sqlite:./data/elicence.db --from 100 --to 250 > proof.json
 * $ elicence witness --state ./witness-state --log-key keys/log.vkey --key witness/witness.key checkpoint.txt --proof proof.json
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { parseJsonText } from '@elicence/domain'
import { readSignerKeyFile, readVerifierKeyFile } from '@elicence/http'
import {
  checkpointOriginProblem,
  cosignatureLine,
  decodeNote,
  equalBytes,
  fromBase64,
  noteKeyTypes,
  openCheckpoint,
  type SignedCheckpoint,
  verifyConsistency,
  withSignatureLine,
} from '@elicence/projections'
import { nodeSha256 } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { type CliIo, complain } from '../cli-io.js'
import { type ExitCode, exitCodes } from '../exit-codes.js'
import { type CliCommand, usageError } from './command.js'
import { parseCommandArguments } from './command-arguments.js'
import { keepState, previousCheckpoint, stateFile, stateLockWaitMs, withStateLock } from './witness-state.js'

const usage = `Usage: elicence witness --state DIR --log-key FILE --key FILE CHECKPOINT_FILE [--proof FILE] [--origin ORIGIN]

Checks a signed checkpoint of a transparency log and cosigns it (C2SP tlog-cosignature/v1):
the log's signature with its verifier key (--log-key, e.g. log.vkey); then, against the last
checkpoint this witness accepted from that log (kept in DIR), the consistency proof (--proof, JSON
as \`elicence log prove --from M --to N\` prints it). Prints the checkpoint, its body and the log's
signature, with the cosignature line added (signature lines of other keys are not passed on), and
remembers it. The first checkpoint of a log is accepted on its signature. One run at a time checks
a log's state: another waits for it (up to ${stateLockWaitMs / 1000} s), then is refused.

Options:
  --state DIR      where the witness keeps the last checkpoint of each log (created when missing)
  --log-key FILE   the log's verifier key string
  --key FILE       this witness's key (witness.key of \`elicence keys --witness NAME\`)
  --proof FILE     consistency proof from the last accepted tree size to this checkpoint's
  --origin ORIGIN  the log's origin line (default: the log key's name), for a log whose checkpoints
                   name another origin than its key (\`elicence log checkpoint --origin\`)
  -h, --help       show this text

Exit status: 0 cosigned; 1 refused (bad signature, a smaller tree, a fork, a proof that does not
show the tree extends the one seen, the state in use by another run); 2 bad arguments or unreadable
files; 3 the state could not be written.`

const readBytes = (path: string): E.Either<string, Buffer> => {
  try {
    return E.right(readFileSync(path))
  } catch (error) {
    return E.left(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

const refuse = (io: CliIo, message: string): ExitCode => {
  complain(io, witnessCommand.name, `refused: ${message}`)
  return exitCodes.refused
}

/** Where to get the proof a witness needs, both ways the log gives it. */
const howToProve = (from: number, to: number): string =>
  `elicence log prove --from ${from} --to ${to}, or GET /log/proof/consistency?from=${from}&to=${to}`

/**
 * Why a proof file is not the proof a witness needs: `invalid`, it holds no consistency proof at
 * all (bad input, exit 2); `refused`, a proof of another tree than the checkpoint's (exit 1, as a
 * proof that does not show the tree extends).
 */
interface ProofProblem {
  readonly kind: 'invalid' | 'refused'
  readonly message: string
}

const invalidProof = (message: string): E.Either<ProofProblem, never> => E.left({ kind: 'invalid', message })

/** The consistency proof's hashes, if the file holds one for a tree of `size`. */
const proofHashes = (text: string, size: number): E.Either<ProofProblem, ReadonlyArray<Uint8Array>> => {
  const json = parseJsonText(text)
  if (E.isLeft(json)) return invalidProof(`the proof: ${json.left}`)
  const proof = json.right as { treeSize?: unknown; leafIndex?: unknown; hashes?: unknown }
  if (typeof proof !== 'object' || proof === null || !Array.isArray(proof.hashes))
    return invalidProof('the proof is not { treeSize, hashes: [base64…] }')
  if (proof.leafIndex !== undefined)
    return invalidProof('an inclusion proof (it has a leafIndex), where a consistency proof is needed')
  if (typeof proof.treeSize !== 'number' || !Number.isSafeInteger(proof.treeSize) || proof.treeSize < 0)
    return invalidProof(
      `the proof's treeSize ${JSON.stringify(proof.treeSize)} is not a tree size (a whole number)`,
    )
  if (proof.treeSize !== size)
    return E.left({
      kind: 'refused',
      message: `the proof is for a tree of ${proof.treeSize}, the checkpoint's has ${size}`,
    })
  const hashes = proof.hashes.map((hash) => (typeof hash === 'string' ? fromBase64(hash) : undefined))
  if (hashes.some((hash) => hash === undefined)) return invalidProof('a hash of the proof is not base64')
  return E.right(hashes as Uint8Array[])
}

/**
 * Why `next` is not cosigned after `previous`, or undefined when it extends it. A fork is named
 * only where it is shown — fewer leaves, or the same number with another root. A proof that fails
 * shows nothing of the kind by itself: it does not say from which size it was made (the JSON has
 * `treeSize` alone), and a proof from another size than the witness's fails as a fork's would.
 */
const inconsistency = (
  previous: SignedCheckpoint,
  next: SignedCheckpoint,
  proof: ReadonlyArray<Uint8Array> | undefined,
): string | undefined => {
  if (next.size < previous.size)
    return `the checkpoint has ${next.size} leaves, fewer than the ${previous.size} this witness already saw: the log rolled back`
  if (next.size === previous.size)
    return equalBytes(next.root, previous.root)
      ? undefined
      : `the checkpoint has the ${next.size} leaves this witness saw, with another root: the log forked`
  // Every tree extends the empty one: there is nothing to prove (and no proof from 0 is made).
  if (previous.size === 0) return undefined
  if (proof === undefined)
    return `a consistency proof from ${previous.size} to ${next.size} is needed (--proof FILE): ${howToProve(previous.size, next.size)}`
  return verifyConsistency(nodeSha256, previous.size, next.size, proof, previous.root, next.root)
    ? undefined
    : `the proof does not show that the tree of ${next.size} extends the tree of ${previous.size} this witness saw. ` +
        `It may be a proof from another size than ${previous.size} (a proof does not say from which); get the one from ${previous.size}: ${howToProve(previous.size, next.size)}. ` +
        `If that one fails too, the log's tree of ${next.size} does not extend what this witness saw`
}

export const witnessCommand: CliCommand = {
  name: 'witness',
  summary: 'check a log checkpoint against the last one seen, and cosign it',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, witnessCommand, args, {
      flags: { state: 'string', 'log-key': 'string', key: 'string', proof: 'string', origin: 'string' },
      positionals: true,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const [checkpointFile, ...extra] = positionals
    if (values.state === undefined || values['log-key'] === undefined || values.key === undefined)
      return usageError(io, witnessCommand, '--state DIR, --log-key FILE and --key FILE are required')
    if (checkpointFile === undefined || extra.length > 0)
      return usageError(io, witnessCommand, 'give one CHECKPOINT_FILE')

    const originProblem = values.origin === undefined ? undefined : checkpointOriginProblem(values.origin)
    if (originProblem !== undefined)
      return usageError(io, witnessCommand, `--origin ${JSON.stringify(values.origin)}: ${originProblem}`)

    const logKey = await readVerifierKeyFile(values['log-key'])
    if (E.isLeft(logKey)) return usageError(io, witnessCommand, logKey.left)
    if (logKey.right.type !== noteKeyTypes.ed25519)
      return usageError(io, witnessCommand, `${values['log-key']}: not a log key (type 0x01)`)
    const witness = await readSignerKeyFile(values.key)
    if (E.isLeft(witness)) return usageError(io, witnessCommand, witness.left)
    const bytes = readBytes(checkpointFile)
    if (E.isLeft(bytes)) return usageError(io, witnessCommand, bytes.left)
    const note = decodeNote(bytes.right)
    if (E.isLeft(note)) return refuse(io, note.left)

    const origin = values.origin ?? logKey.right.name
    const checkpoint = await openCheckpoint(note.right, logKey.right, origin)
    if (E.isLeft(checkpoint))
      return refuse(
        io,
        values.origin === undefined && checkpoint.left.startsWith('the checkpoint is of the log')
          ? `${checkpoint.left} (the log key's name); --origin ORIGIN names the origin to expect`
          : checkpoint.left,
      )
    const directory = values.state
    const path = stateFile(directory, origin)
    try {
      mkdirSync(directory, { recursive: true })
    } catch (error) {
      complain(
        io,
        witnessCommand.name,
        `cannot keep the state: ${error instanceof Error ? error.message : String(error)}`,
      )
      return exitCodes.storeFailure
    }
    // Read, checked and written under the lock (witness-state.ts), the proof too: what it is
    // checked against is the state this run will replace.
    const outcome = await withStateLock(path, async (): Promise<ExitCode> => {
      const previous = await previousCheckpoint(directory, origin, logKey.right)
      if (E.isLeft(previous)) return usageError(io, witnessCommand, previous.left)
      const proofText = values.proof === undefined ? E.right(undefined) : readBytes(values.proof)
      if (E.isLeft(proofText)) return usageError(io, witnessCommand, proofText.left)
      if (previous.right !== undefined) {
        let proof: ReadonlyArray<Uint8Array> | undefined
        if (proofText.right !== undefined) {
          const hashes = proofHashes(proofText.right.toString('utf8'), checkpoint.right.size)
          if (E.isLeft(hashes))
            return hashes.left.kind === 'invalid'
              ? usageError(io, witnessCommand, `${values.proof}: ${hashes.left.message}`)
              : refuse(io, `${values.proof}: ${hashes.left.message}`)
          proof = hashes.right
        }
        const problem = inconsistency(previous.right, checkpoint.right, proof)
        if (problem !== undefined) return refuse(io, problem)
      }

      const line = await cosignatureLine(
        checkpoint.right.text,
        witness.right,
        BigInt(Math.floor(Date.now() / 1000)),
      )
      if (E.isLeft(line)) return usageError(io, witnessCommand, `${values.key}: ${line.left}`)
      // Kept and passed on: the body and the log's signature, which this witness checked, and its
      // own line. Lines of other keys are dropped: unknown keys are not checked (C2SP signed-note),
      // so anyone on the way may have added them, and passed on they would let a relay fill the
      // note past the 100 signatures readers take (99 junk lines + the log's + this one), or the
      // state past what a later run reads. Other witnesses' cosignatures of the same body are
      // gathered by appending their lines; this one vouches only for what it verified.
      const kept = keepState(path, checkpoint.right.logNote)
      if (E.isLeft(kept)) {
        complain(io, witnessCommand.name, `cannot keep the state: ${kept.left}`)
        return exitCodes.storeFailure
      }
      io.stdout.write(withSignatureLine(checkpoint.right.logNote, line.right))
      return exitCodes.ok
    })
    return E.isLeft(outcome) ? refuse(io, outcome.left) : outcome.right
  },
}
