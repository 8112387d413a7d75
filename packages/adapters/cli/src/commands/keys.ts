/**
 * `elicence keys`: generates the keys of a service in one command: the issuer key (DESIGN §6), the
 * Ed25519 key that signs credentials and status lists, as a private JWK whose `kid` is its RFC 7638
 * thumbprint, so the id never changes wherever the key is loaded; and the transparency log's
 * Ed25519 note key (DESIGN §9) with its verifier key string `log.vkey`, named by the log's origin.
 * `--rotate` retires the current issuer key into `previous-issuer-keys.json` (public members only),
 * where it stays published in the issuer metadata while credentials it signed are alive, and writes a
 * new current key. With `--witness NAME` it makes a witness's cosigning key pair instead.
 * `elicence serve --keys DIR` reads them. Secrets are written readable by their owner only, and an
 * existing key is never overwritten: a folder that has one group of keys gets the missing group alone.
 *
 * @example
 * $ elicence keys --out ./keys --public-url https://licences.example.cn
 * $ elicence keys --out ./keys --rotate
 * $ elicence keys --witness witness.example.org/w1 --out ./witness
 * $ elicence serve --keys ./keys --tokens ./tokens.json
 */
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  checkedPublicUrl,
  defaultPublicUrl,
  issuerKeyFile,
  loadIssuerKeys,
  logKeyFile,
  logVerifierKeyFile,
  newNoteKeyFiles,
  previousIssuerKeysFile,
  witnessKeyFile,
  witnessVerifierKeyFile,
} from '@elicence/http'
import {
  checkpointOriginProblem,
  defaultLogOrigin,
  generateIssuerKey,
  noteKeyTypes,
} from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { complain } from '../cli-io.js'
import { exitCodes } from '../exit-codes.js'
import { type CliCommand, usageError } from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence keys [--out DIR] [--public-url URL | --origin ORIGIN]
       elicence keys --rotate [--out DIR]
       elicence keys --witness NAME [--out DIR]

Generates a service's keys into DIR (default ./keys):
  ${issuerKeyFile}               Ed25519 private JWK with its RFC 7638 kid, signs credentials (secret, mode 600)
  ${previousIssuerKeysFile}   retired issuer keys (public JWKs), still published; written by --rotate
  ${logKeyFile}                     the transparency log's Ed25519 note key (secret, mode 600)
  ${logVerifierKeyFile}                    its verifier key string <origin>+<key id>+<key>, for auditors and witnesses
With --witness NAME, a witness's cosigning key pair instead:
  ${witnessKeyFile} (secret, mode 600) and ${witnessVerifierKeyFile} (its verifier key string).
Existing keys are never overwritten; a folder that has the issuer key gets the log's alone, and one
that has the log's gets the issuer key alone. \`elicence serve --keys DIR\` uses them and publishes
every public issuer key at /.well-known/jwt-vc-issuer.

Options:
  --out DIR          where to write the keys (created when missing)
  --public-url URL   the service's public URL, http(s) as serve takes it: the log's origin is its host + /elicence/log
                     (default: $ELICENCE_PUBLIC_URL, else ${defaultPublicUrl})
  --origin ORIGIN    the log's origin (and its key's name) as given, e.g. licences.example.cn/elicence/log
  --rotate           retire the current issuer key (it stays published) and write a new one
  --witness NAME     make a witness key named NAME (e.g. witness.example.org/w1)
  -h, --help         show this text

Exit status: 0 written; 2 bad arguments, a key already there, or none to rotate; 3 the files could
not be written.`

const writeNewIssuerKey = async (path: string): Promise<string> => {
  const jwk = await generateIssuerKey()
  // `wx`: fails instead of overwriting a file that appeared since the check.
  writeFileSync(path, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  return jwk.kid ?? ''
}

const cannotWrite = (io: Parameters<CliCommand['run']>[1], error: unknown) => {
  complain(io, 'keys', `cannot write the keys: ${error instanceof Error ? error.message : String(error)}`)
  return exitCodes.storeFailure
}

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'generate the issuer and transparency log keys, rotate the issuer key, or make a witness key',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, keysCommand, args, {
      flags: {
        out: 'string',
        witness: 'string',
        origin: 'string',
        'public-url': 'string',
        rotate: 'boolean',
      },
      positionals: false,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values } = parsed.right
    const directory = values.out ?? './keys'
    if (statSync(directory, { throwIfNoEntry: false })?.isDirectory() === false)
      return usageError(io, keysCommand, `--out ${directory} is a file, not a directory`)
    const rotate = values.rotate === true
    const logOptionGiven = values.origin !== undefined || values['public-url'] !== undefined
    if (values.witness !== undefined && (logOptionGiven || rotate))
      return usageError(
        io,
        keysCommand,
        '--witness makes a witness key: --origin, --public-url and --rotate are for the service keys',
      )
    if (rotate && logOptionGiven)
      return usageError(
        io,
        keysCommand,
        '--rotate rotates the issuer key: --origin and --public-url are for the log key',
      )
    if (values.origin !== undefined && values['public-url'] !== undefined)
      return usageError(io, keysCommand, 'give --origin or --public-url, not both')
    // The log key's name is the origin of every checkpoint it signs: one that no checkpoint may
    // have would make a service that can never sign one (GET /log/checkpoint a 503 for ever).
    const originProblem = values.origin === undefined ? undefined : checkpointOriginProblem(values.origin)
    if (originProblem !== undefined)
      return usageError(io, keysCommand, `--origin ${JSON.stringify(values.origin)}: ${originProblem}`)
    const keyPath = join(directory, issuerKeyFile)
    const previousPath = join(directory, previousIssuerKeysFile)
    if (rotate) {
      const current = await loadIssuerKeys(directory, { create: false })
      if (E.isLeft(current)) return usageError(io, keysCommand, `nothing to rotate: ${current.left}`)
      try {
        // Retired first: a crash between the two steps leaves the old key both current and listed.
        const staging = `${previousPath}.new`
        writeFileSync(staging, `${JSON.stringify({ keys: current.right.jwks.keys }, null, 2)}\n`, {
          mode: 0o644,
        })
        renameSync(staging, previousPath)
        renameSync(keyPath, `${keyPath}.retired-${Date.now()}`)
        const kid = await writeNewIssuerKey(keyPath)
        io.stdout.write(`${keyPath} (kid ${kid})\n${previousPath}\n`)
        return exitCodes.ok
      } catch (error) {
        return cannotWrite(io, error)
      }
    }
    // Checked as serve checks it, where it names the log: a URL serve refuses names no log it runs.
    const givenPublicUrl = values['public-url'] ?? io.env.ELICENCE_PUBLIC_URL
    const namesTheLog = values.witness === undefined && values.origin === undefined
    const publicUrl =
      givenPublicUrl === undefined || !namesTheLog
        ? E.right(defaultPublicUrl)
        : checkedPublicUrl(givenPublicUrl)
    if (E.isLeft(publicUrl)) return usageError(io, keysCommand, publicUrl.left)
    const noteKey =
      values.witness === undefined
        ? {
            name: values.origin ?? defaultLogOrigin(publicUrl.right),
            type: noteKeyTypes.ed25519,
            files: [logKeyFile, logVerifierKeyFile] as const,
          }
        : {
            name: values.witness,
            type: noteKeyTypes.cosignatureV1,
            files: [witnessKeyFile, witnessVerifierKeyFile] as const,
          }
    const noteKeyFiles = await newNoteKeyFiles(noteKey.name, noteKey.type)
    if (E.isLeft(noteKeyFiles)) return usageError(io, keysCommand, noteKeyFiles.left)
    const notePaths = noteKey.files.map((name) => join(directory, name))
    // Each group is written whole or not at all; a group already there is kept.
    const writeIssuer = values.witness === undefined && !existsSync(keyPath)
    const noteExisting = notePaths.filter((file) => existsSync(file))
    const writeNote = noteExisting.length === 0
    if (values.witness === undefined && !writeIssuer && !writeNote)
      return usageError(io, keysCommand, `${keyPath} already exists; not overwritten`)
    if (!writeNote && (values.witness !== undefined || noteExisting.length < notePaths.length))
      return usageError(io, keysCommand, `${noteExisting.join(', ')} already exist; not overwritten`)
    try {
      mkdirSync(directory, { recursive: true })
      if (writeNote) {
        // `wx`: fails instead of overwriting a file that appeared since the check above.
        writeFileSync(notePaths[0] ?? '', noteKeyFiles.right.signerKey, { mode: 0o600, flag: 'wx' })
        writeFileSync(notePaths[1] ?? '', noteKeyFiles.right.verifierKey, { mode: 0o644, flag: 'wx' })
      }
      const lines = writeNote ? [...notePaths] : []
      if (writeIssuer) lines.unshift(`${keyPath} (kid ${await writeNewIssuerKey(keyPath)})`)
      io.stdout.write(`${lines.join('\n')}\n`)
    } catch (error) {
      return cannotWrite(io, error)
    }
    return exitCodes.ok
  },
}
