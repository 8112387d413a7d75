/**
 * `elicence keys`: generates the presentation keys of a service in one command (DESIGN §6): the
 * Ed25519 signing key, its public key for verifiers that check offline, and the AES-256 key that
 * seals the e-licence id into a presentation's reference. `elicence serve --keys DIR` reads them.
 * Secrets are written readable by their owner only, and existing files are never overwritten.
 *
 * @example
 * $ elicence keys --out ./keys
 * $ elicence serve --keys ./keys --tokens ./tokens.json
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { presentationKeyFile, presentationPublicKeyFile, presentationReferenceKeyFile } from '@elicence/http'
import { generatePresentationKeys } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { complain } from '../cli-io.js'
import { exitCodes } from '../exit-codes.js'
import { type CliCommand, usageError } from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence keys [--out DIR]

Generates the keys that sign and seal e-licence presentations, into DIR (default ./keys):
  ${presentationKeyFile}          Ed25519 private key, PKCS#8 PEM (secret, mode 600)
  ${presentationPublicKeyFile}       its public key, for verifiers that check presentations offline
  ${presentationReferenceKeyFile}   AES-256 key sealing the e-licence id (secret, mode 600)
Existing files are never overwritten. \`elicence serve --keys DIR\` uses them.

Options:
  --out DIR        where to write the keys (created when missing)
  -h, --help       show this text

Exit status: 0 written; 2 bad arguments or a key file already there; 3 the files could not be written.`

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'generate the presentation signing and reference keys',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, keysCommand, args, {
      flags: { out: 'string' },
      positionals: false,
    })
    if (E.isLeft(parsed)) return parsed.left
    const directory = parsed.right.values.out ?? './keys'
    const files = [presentationKeyFile, presentationPublicKeyFile, presentationReferenceKeyFile].map((name) =>
      join(directory, name),
    )
    const existing = files.filter((file) => existsSync(file))
    if (existing.length > 0)
      return usageError(io, keysCommand, `${existing.join(', ')} already exist; not overwritten`)
    const keys = await generatePresentationKeys()
    try {
      mkdirSync(directory, { recursive: true })
      // `wx`: fails instead of overwriting a file that appeared since the check above.
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
