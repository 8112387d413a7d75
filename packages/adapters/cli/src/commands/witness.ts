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
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseJsonText } from '@elicence/domain'
import { readSignerKeyFile, readVerifierKeyFile } from '@elicence/http'
import {
  cosignatureLine,
  equalBytes,
  fromBase64,
  type NoteVerifier,
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

const usage = `Usage: elicence witness --state DIR --log-key FILE --key FILE CHECKPOINT_FILE [--proof FILE]

Checks a signed checkpoint of a transparency log and cosigns it (C2SP tlog-cosignature/v1):
the log's signature with its verifier key (--log-key, e.g. log.vkey); then, against the last
checkpoint this witness accepted from that log (kept in DIR), the consistency proof (--proof, JSON
as \`elicence log prove --from M --to N\` prints it). Prints the checkpoint with the cosignature line
added, and remembers it. The first checkpoint of a log is accepted on its signature.

Options:
  --state DIR      where the witness keeps the last checkpoint of each log (created when missing)
  --log-key FILE   the log's verifier key string
  --key FILE       this witness's key (witness.key of \`elicence keys --witness NAME\`)
  --proof FILE     consistency proof from the last accepted tree size to this checkpoint's
  -h, --help       show this text

Exit status: 0 cosigned; 1 refused (bad signature, a smaller tree, a fork); 2 bad arguments or
unreadable files; 3 the state could not be written.`

const readText = (path: string): E.Either<string, string> => {
  try {
    return E.right(readFileSync(path, 'utf8'))
  } catch (error) {
    return E.left(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * One state file per log, named by its origin: each byte of its UTF-8 but a lower-case letter, a
 * digit, `.` and `-` is written `_` and two hex digits, so no two origins share a file — even on a
 * file system that folds case — where mapping every other character to `_` made
 * `example.cn/elicence/log` and `example.cn_elicence/log` one file, and one log blocked the other.
 */
const stateFile = (directory: string, origin: string): string => {
  let name = ''
  for (const byte of new TextEncoder().encode(origin)) {
    const character = String.fromCharCode(byte)
    name += /[a-z0-9.-]/.test(character) ? character : `_${byte.toString(16).padStart(2, '0')}`
  }
  return join(directory, `${name}.checkpoint`)
}

/**
 * Where earlier versions kept a log's state (every character but letters, digits, `.` and `-` as
 * `_`). Read when the new file is absent, and only if it is that log's: the name is shared.
 */
const earlierStateFile = (directory: string, origin: string): string =>
  join(directory, `${origin.replace(/[^A-Za-z0-9.-]/g, '_')}.checkpoint`)

const refuse = (io: CliIo, message: string): ExitCode => {
  complain(io, witnessCommand.name, `refused: ${message}`)
  return exitCodes.refused
}

/** The consistency proof's hashes, if the file holds one for a tree of `size`. */
const proofHashes = (text: string, size: number): E.Either<string, ReadonlyArray<Uint8Array>> => {
  const json = parseJsonText(text)
  if (E.isLeft(json)) return E.left(`the proof: ${json.left}`)
  const proof = json.right as { treeSize?: unknown; hashes?: unknown }
  if (typeof proof !== 'object' || proof === null || !Array.isArray(proof.hashes))
    return E.left('the proof is not { treeSize, hashes: [base64…] }')
  if (proof.treeSize !== size)
    return E.left(`the proof is for a tree of ${String(proof.treeSize)}, the checkpoint's has ${size}`)
  const hashes = proof.hashes.map((hash) => (typeof hash === 'string' ? fromBase64(hash) : undefined))
  if (hashes.some((hash) => hash === undefined)) return E.left('a hash of the proof is not base64')
  return E.right(hashes as Uint8Array[])
}

/** Why `next` does not extend `previous`, or undefined when it does. */
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
  if (proof === undefined)
    return `a consistency proof from ${previous.size} to ${next.size} is needed (--proof FILE)`
  return verifyConsistency(nodeSha256, previous.size, next.size, proof, previous.root, next.root)
    ? undefined
    : `the tree of ${next.size} does not extend the tree of ${previous.size} this witness saw: the log forked`
}

/**
 * The checkpoint this witness last accepted from the log of `origin`, if any. A state file that
 * cannot be read, or holds no checkpoint of this log by its key, is an error (exit 2): the state
 * was damaged or the key changed, and the witness must not start over unnoticed. A file of the
 * earlier naming is this log's only if its origin line is this origin: another log may share it.
 */
const previousCheckpoint = async (
  directory: string,
  origin: string,
  logKey: NoteVerifier,
): Promise<E.Either<string, SignedCheckpoint | undefined>> => {
  const current = stateFile(directory, origin)
  const earlier = earlierStateFile(directory, origin)
  const path = existsSync(current) ? current : existsSync(earlier) ? earlier : undefined
  if (path === undefined) return E.right(undefined)
  const saved = readText(path)
  if (E.isLeft(saved)) return saved
  if (path === earlier && saved.right.split('\n', 1)[0] !== origin) return E.right(undefined)
  const opened = await openCheckpoint(saved.right, logKey)
  return E.isLeft(opened) ? E.left(`${path}: ${opened.left}`) : opened
}

export const witnessCommand: CliCommand = {
  name: 'witness',
  summary: 'check a log checkpoint against the last one seen, and cosign it',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, witnessCommand, args, {
      flags: { state: 'string', 'log-key': 'string', key: 'string', proof: 'string' },
      positionals: true,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const [checkpointFile, ...extra] = positionals
    if (values.state === undefined || values['log-key'] === undefined || values.key === undefined)
      return usageError(io, witnessCommand, '--state DIR, --log-key FILE and --key FILE are required')
    if (checkpointFile === undefined || extra.length > 0)
      return usageError(io, witnessCommand, 'give one CHECKPOINT_FILE')

    const logKey = await readVerifierKeyFile(values['log-key'])
    if (E.isLeft(logKey)) return usageError(io, witnessCommand, logKey.left)
    if (logKey.right.type !== noteKeyTypes.ed25519)
      return usageError(io, witnessCommand, `${values['log-key']}: not a log key (type 0x01)`)
    const witness = await readSignerKeyFile(values.key)
    if (E.isLeft(witness)) return usageError(io, witnessCommand, witness.left)
    const note = readText(checkpointFile)
    if (E.isLeft(note)) return usageError(io, witnessCommand, note.left)
    const proofText = values.proof === undefined ? E.right(undefined) : readText(values.proof)
    if (E.isLeft(proofText)) return usageError(io, witnessCommand, proofText.left)

    const checkpoint = await openCheckpoint(note.right, logKey.right)
    if (E.isLeft(checkpoint)) return refuse(io, checkpoint.left)
    const path = stateFile(values.state, checkpoint.right.origin)
    const previous = await previousCheckpoint(values.state, checkpoint.right.origin, logKey.right)
    if (E.isLeft(previous)) return usageError(io, witnessCommand, previous.left)
    if (previous.right !== undefined) {
      let proof: ReadonlyArray<Uint8Array> | undefined
      if (proofText.right !== undefined) {
        const hashes = proofHashes(proofText.right, checkpoint.right.size)
        if (E.isLeft(hashes)) return refuse(io, `${values.proof}: ${hashes.left}`)
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
    const cosigned = withSignatureLine(note.right, line.right)
    try {
      mkdirSync(values.state, { recursive: true })
      // Written whole, then renamed: a crash never leaves a witness with half a state.
      writeFileSync(`${path}.partial`, cosigned)
      renameSync(`${path}.partial`, path)
    } catch (error) {
      complain(
        io,
        witnessCommand.name,
        `cannot keep the state: ${error instanceof Error ? error.message : String(error)}`,
      )
      return exitCodes.storeFailure
    }
    io.stdout.write(cosigned)
    return exitCodes.ok
  },
}
