/**
 * `elicence log`: the transparency log of a store (DESIGN §9). `checkpoint` brings the log
 * projection up to date (kept beside the read models: the SQLite file, the PostgreSQL database;
 * rebuilt in memory for other stores) and prints a checkpoint of the whole tree signed with the
 * log key — exactly the signed note on stdout, anything else on stderr, so it can be saved and
 * handed to any verifier. `prove` prints an RFC 9162 inclusion or consistency proof as JSON, and
 * only reads: a store the user may read but not write is proved from all the same.
 *
 * @example
 * $ elicence log checkpoint --store sqlite:./data/elicence.db --keys ./keys > checkpoint.txt
 * $ elicence log prove --store sqlite:./data/elicence.db --index 41 --size 100
 * $ elicence log prove --store sqlite:./data/elicence.db --from 100 --to 250 > proof.json
 */
import type { EventStore } from '@elicence/domain'
import { loadLogSigner, logKeyFile } from '@elicence/http'
import {
  checkpointOriginProblem,
  inMemoryReadModelStore,
  isLogRangeError,
  type LogError,
  parseTreeSize,
  type ReadModelStore,
  type TransparencyLog,
  transparencyLog,
} from '@elicence/projections'
import { nodeSha256 } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { type CliIo, complain, writeLine } from '../cli-io.js'
import { type ExitCode, exitCodes } from '../exit-codes.js'
import { openReadModelStore } from '../store-url.js'
import { type CliCommand, storeOptionUsage, storeUrlOf, usageError, withReadOnlyStore } from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence log checkpoint --store URL --keys DIR [--origin ORIGIN]
       elicence log prove --store URL --index N [--size M]
       elicence log prove --store URL --from M --to N

checkpoint: brings the store's transparency log up to date and prints a signed checkpoint of its
  whole tree (a C2SP signed note: origin, tree size, root hash), signed with DIR/${logKeyFile}.
  Only the note goes to standard output; every checkpoint signed is also kept with the log, one per
  tree size, key and origin: a note of another origin or key never replaces the service's own.
prove: prints, as JSON { treeSize, leafIndex?, hashes: [base64…] }, the proof that leaf N (the
  N-th event in global order, from 0) is in the tree of M leaves (default: the whole tree), or that
  the tree of M leaves is a prefix of the tree of N (M from 1). It writes nothing: it proves from the
  tree kept beside the store when that has every event, else from one built from the history.

Options:
${storeOptionUsage}
  --keys DIR       the folder \`elicence keys\` wrote (default: $ELICENCE_KEYS)
  --origin ORIGIN  the checkpoint's origin line (default: the log key's name)
  --index N, --size M, --from M, --to N   as above
  -h, --help       show this text

Exit status: 0 printed; 2 bad arguments, or sizes the tree does not have; 3 the store failed or
does not exist (nothing is created).`

/** A size or leaf index: a whole number in decimal, up to the largest tree size handled. */
const wholeNumber = (value: string | undefined, flag: string): E.Either<string, number | undefined> => {
  if (value === undefined) return E.right(undefined)
  const parsed = parseTreeSize(value)
  if (E.isRight(parsed)) return parsed
  return E.left(
    /^[0-9]+$/.test(value) ? `${flag} ${value} ${parsed.left}` : `${flag} ${value} is not a whole number ≥ 0`,
  )
}

/**
 * The store at `url` opened for reading, as export opens it (one that does not exist is refused
 * and nothing is created), with the read models beside it (`readOnly` or not; absent where there
 * are none, and, read only, where they cannot be opened), closed after the events' connection:
 * a writing one, closing last, folds SQLite's write-ahead log back into the file, so no -wal or
 * -shm is left and the file alone is whole.
 */
const withStoreAndReadModels = async (
  io: CliIo,
  url: string | undefined,
  readOnly: boolean,
  use: (store: EventStore, readModels: ReadModelStore | undefined) => Promise<ExitCode>,
): Promise<ExitCode> => {
  let readModels: ReadModelStore | undefined
  try {
    return await withReadOnlyStore(io, logCommand, url, async (store: EventStore) => {
      const opened = await openReadModelStore(url ?? '', { readOnly })
      if (E.isLeft(opened) && !readOnly) {
        complain(io, logCommand.name, opened.left.message)
        return exitCodes.storeFailure
      }
      readModels = E.isRight(opened) ? opened.right : undefined
      return await use(store, readModels)
    })
  } finally {
    await readModels?.close()
  }
}

/** `log` brought up to date; a failure is the store's, said so. */
const caughtUp = async (
  io: CliIo,
  log: TransparencyLog,
  use: (log: TransparencyLog) => Promise<ExitCode>,
  failing: string,
): Promise<ExitCode> => {
  const head = await log.catchUp()
  if (E.isLeft(head)) {
    complain(io, logCommand.name, `${head.left.message}; ${failing}`)
    return exitCodes.storeFailure
  }
  return use(log)
}

/**
 * The log of the store at `url`, kept where its read models are (or in memory), brought up to date.
 * Only the log's own tree and checkpoints are written, beside the events; a mistyped path is
 * refused, where it would otherwise get a new, empty store and a signed checkpoint of size 0.
 */
const withLog = (io: CliIo, url: string | undefined, use: (log: TransparencyLog) => Promise<ExitCode>) =>
  withStoreAndReadModels(io, url, false, (store, readModels) =>
    caughtUp(
      io,
      transparencyLog({
        events: store,
        readModels: readModels ?? inMemoryReadModelStore(),
        sha256: nodeSha256,
      }),
      use,
      'the log is not up to date',
    ),
  )

/**
 * The log to prove from, writing nothing: the tree kept beside the store where it has every event
 * the store holds (read only, as the service keeps it), else one built in memory from the history.
 * A proof is the history's either way; only its cost differs. So a store the user may read but
 * not write is proved from all the same (it was refused: the log could not be brought up to date).
 */
const withLogToProve = (
  io: CliIo,
  url: string | undefined,
  use: (log: TransparencyLog) => Promise<ExitCode>,
) =>
  withStoreAndReadModels(io, url, true, async (store, readModels) => {
    if (readModels !== undefined) {
      const kept = transparencyLog({ events: store, readModels, sha256: nodeSha256 })
      const head = await kept.head()
      const after = E.isRight(head) ? await store.readAll({ after: head.right.position, limit: 1 }) : head
      if (E.isRight(after) && after.right.events.length === 0) return use(kept)
    }
    io.stderr.write(
      'elicence log: the tree kept beside the store is not up to date: built from the history\n',
    )
    const built = transparencyLog({ events: store, readModels: inMemoryReadModelStore(), sha256: nodeSha256 })
    return caughtUp(io, built, use, 'no proof')
  })

const failed = (io: CliIo, error: LogError): ExitCode => {
  complain(io, logCommand.name, error.message)
  return isLogRangeError(error) ? exitCodes.invalidInput : exitCodes.storeFailure
}

export const logCommand: CliCommand = {
  name: 'log',
  summary: 'print a signed checkpoint of the transparency log, or an inclusion or consistency proof',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, logCommand, args, {
      flags: {
        keys: 'string',
        origin: 'string',
        index: 'string',
        size: 'string',
        from: 'string',
        to: 'string',
      },
      positionals: true,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const [action, ...extra] = positionals
    if (extra.length > 0) return usageError(io, logCommand, `unexpected arguments: ${extra.join(' ')}`)
    const url = storeUrlOf(values.store, io)

    if (action === 'checkpoint') {
      const keys = values.keys ?? io.env.ELICENCE_KEYS
      if (keys === undefined)
        return usageError(io, logCommand, '--keys DIR is required (or set ELICENCE_KEYS)')
      // Checked before anything is read or signed: a newline in it would make the key sign a
      // checkpoint of another size and root, an empty one a checkpoint of no log.
      const originProblem = values.origin === undefined ? undefined : checkpointOriginProblem(values.origin)
      if (originProblem !== undefined)
        return usageError(io, logCommand, `--origin ${JSON.stringify(values.origin)}: ${originProblem}`)
      const signer = await loadLogSigner(keys, { create: false })
      if (E.isLeft(signer)) return usageError(io, logCommand, signer.left)
      return withLog(io, url, async (log) => {
        const signed = await log.signCheckpoint(signer.right, values.origin ?? signer.right.name)
        if (E.isLeft(signed)) return failed(io, signed.left)
        io.stderr.write(
          `elicence log: checkpoint of ${signed.right.size} events, signed by ${signer.right.name}\n`,
        )
        io.stdout.write(signed.right.note)
        return exitCodes.ok
      })
    }

    if (action === 'prove') {
      const numbers = [
        wholeNumber(values.index, '--index'),
        wholeNumber(values.size, '--size'),
        wholeNumber(values.from, '--from'),
        wholeNumber(values.to, '--to'),
      ] as const
      const bad = numbers.find(E.isLeft)
      if (bad !== undefined && E.isLeft(bad)) return usageError(io, logCommand, bad.left)
      const [index, size, from, to] = numbers.map((number) => (E.isRight(number) ? number.right : undefined))
      const inclusion = index !== undefined || size !== undefined
      const consistency = from !== undefined || to !== undefined
      if (inclusion === consistency)
        return usageError(
          io,
          logCommand,
          'give --index N [--size M] for an inclusion proof, or --from M --to N',
        )
      if (inclusion && index === undefined) return usageError(io, logCommand, '--size goes with --index N')
      if (consistency && (from === undefined || to === undefined))
        return usageError(io, logCommand, '--from M and --to N go together')
      return withLogToProve(io, url, async (log) => {
        const head = await log.head()
        if (E.isLeft(head)) return failed(io, head.left)
        const proof = inclusion
          ? await log.inclusionProof(index ?? 0, size ?? head.right.size)
          : await log.consistencyProof(from ?? 0, to ?? 0)
        if (E.isLeft(proof)) return failed(io, proof.left)
        await writeLine(io.stdout, JSON.stringify(proof.right))
        return exitCodes.ok
      })
    }

    return usageError(
      io,
      logCommand,
      action === undefined ? 'say checkpoint or prove' : `unknown action '${action}': checkpoint or prove`,
    )
  },
}
