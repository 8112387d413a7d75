/**
 * `elicence keys`: generates the keys of a service in one command: the presentation keys (DESIGN
 * §6) — the Ed25519 signing key, its public key for verifiers that check offline, and the AES-256
 * key that seals the e-licence id into a presentation's reference — and the transparency log's
 * Ed25519 note key (DESIGN §9) with its verifier key string `log.vkey`, named by the log's origin.
 * `elicence serve --keys DIR` reads them. With `--witness NAME` it makes a witness's cosigning key
 * pair instead. Secrets are written readable by their owner only; existing files are never overwritten.
 *
 * @example
 * $ elicence keys --out ./keys --public-url https://licences.example.cn
 * $ elicence keys --witness witness.example.org/w1 --out ./witness
 * $ elicence serve --keys ./keys --tokens ./tokens.json
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  defaultPublicUrl,
  logKeyFile,
  logVerifierKeyFile,
  newNoteKeyFiles,
  presentationKeyFile,
  presentationPublicKeyFile,
  presentationReferenceKeyFile,
  witnessKeyFile,
  witnessVerifierKeyFile,
} from '@elicence/http'
import { defaultLogOrigin, generatePresentationKeys, noteKeyTypes } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { complain } from '../cli-io.js'
import { exitCodes } from '../exit-codes.js'
import { type CliCommand, usageError } from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence keys [--out DIR] [--public-url URL | --origin ORIGIN]
       elicence keys --witness NAME [--out DIR]

Generates a service's keys into DIR (default ./keys):
  ${presentationKeyFile}          Ed25519 private key, PKCS#8 PEM (secret, mode 600)
  ${presentationPublicKeyFile}       its public key, for verifiers that check presentations offline
  ${presentationReferenceKeyFile}   AES-256 key sealing the e-licence id (secret, mode 600)
  ${logKeyFile}                     the transparency log's Ed25519 note key (secret, mode 600)
  ${logVerifierKeyFile}                    its verifier key string <origin>+<key id>+<key>, for auditors and witnesses
With --witness NAME, a witness's cosigning key pair instead:
  ${witnessKeyFile} (secret, mode 600) and ${witnessVerifierKeyFile} (its verifier key string).
Existing files are never overwritten; a folder that has the presentation keys gets the log's alone.
\`elicence serve --keys DIR\` uses them.

Options:
  --out DIR          where to write the keys (created when missing)
  --public-url URL   the service's public URL: the log's origin is its host + /elicence/log
                     (default: $ELICENCE_PUBLIC_URL, else ${defaultPublicUrl})
  --origin ORIGIN    the log's origin (and its key's name) as given, e.g. licences.example.cn/elicence/log
  --witness NAME     make a witness key named NAME (e.g. witness.example.org/w1)
  -h, --help         show this text

Exit status: 0 written; 2 bad arguments or a key file already there; 3 the files could not be written.`

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'generate the presentation and transparency log keys, or a witness key',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, keysCommand, args, {
      flags: { out: 'string', witness: 'string', origin: 'string', 'public-url': 'string' },
      positionals: false,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values } = parsed.right
    const directory = values.out ?? './keys'
    if (values.witness !== undefined && (values.origin !== undefined || values['public-url'] !== undefined))
      return usageError(
        io,
        keysCommand,
        '--witness makes a witness key: --origin and --public-url are for the log key',
      )
    if (values.origin !== undefined && values['public-url'] !== undefined)
      return usageError(io, keysCommand, 'give --origin or --public-url, not both')
    const noteKey =
      values.witness === undefined
        ? {
            name:
              values.origin ??
              defaultLogOrigin(values['public-url'] ?? io.env.ELICENCE_PUBLIC_URL ?? defaultPublicUrl),
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
    const presentationFiles = [presentationKeyFile, presentationPublicKeyFile, presentationReferenceKeyFile]
    // A folder written before the log had keys gets the log's alone, its presentation keys kept.
    const logKeyOnly =
      values.witness === undefined && presentationFiles.every((name) => existsSync(join(directory, name)))
    const names =
      values.witness === undefined && !logKeyOnly ? [...presentationFiles, ...noteKey.files] : noteKey.files
    const files = names.map((name) => join(directory, name))
    const existing = files.filter((file) => existsSync(file))
    if (existing.length > 0)
      return usageError(io, keysCommand, `${existing.join(', ')} already exist; not overwritten`)
    try {
      mkdirSync(directory, { recursive: true })
      // `wx`: fails instead of overwriting a file that appeared since the check above.
      writeFileSync(join(directory, noteKey.files[0]), noteKeyFiles.right.signerKey, {
        mode: 0o600,
        flag: 'wx',
      })
      writeFileSync(join(directory, noteKey.files[1]), noteKeyFiles.right.verifierKey, {
        mode: 0o644,
        flag: 'wx',
      })
      if (values.witness !== undefined || logKeyOnly) {
        io.stdout.write(`${files.join('\n')}\n`)
        return exitCodes.ok
      }
      const keys = await generatePresentationKeys()
      writeFileSync(join(directory, presentationKeyFile), keys.privateKeyPem, { mode: 0o600, flag: 'wx' })
      writeFileSync(join(directory, presentationPublicKeyFile), keys.publicKeyPem, {
        mode: 0o644,
        flag: 'wx',
      })
      writeFileSync(join(directory, presentationReferenceKeyFile), `${keys.referenceKey}\n`, {
        mode: 0o600,
        flag: 'wx',
      })
    } catch (error) {
      complain(
        io,
        keysCommand.name,
        `cannot write the keys: ${error instanceof Error ? error.message : String(error)}`,
      )
      return exitCodes.storeFailure
    }
    io.stdout.write(`${files.join('\n')}\n`)
    return exitCodes.ok
  },
}
