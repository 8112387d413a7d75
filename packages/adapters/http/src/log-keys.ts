/**
 * The transparency log's keys on disk (DESIGN §9): `log.key`, the log's signer key string (Go's
 * `PRIVATE+KEY+<name>+<id>+<key>`, a secret) and `log.vkey`, its verifier key string, one line
 * each, as `elicence keys` writes them; a witness's `witness.key` / `witness.vkey` likewise. The key's
 * name is the log's origin, by default the public host + `/elicence/log`. A dev service makes its
 * log key in its data folder on first start.
 *
 * @example
 * const signer = await loadLogSigner('./keys', { create: false })   // Either<string, NoteSigner>
 * const verifier = await readVerifierKeyFile('./keys/log.vkey')
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  defaultLogOrigin,
  generateNoteKey,
  type NoteKeyType,
  type NoteSigner,
  type NoteVerifier,
  noteKeyTypes,
  parseSignerKey,
  parseVerifierKey,
} from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { defaultPublicUrl } from './public-url.js'

export const logKeyFile = 'log.key'
export const logVerifierKeyFile = 'log.vkey'
export const witnessKeyFile = 'witness.key'
export const witnessVerifierKeyFile = 'witness.vkey'

export interface NoteKeyFiles {
  readonly signerKey: string
  readonly verifierKey: string
}

/** A fresh key pair named `name` as key files' contents (each one line). */
export const newNoteKeyFiles = async (
  name: string,
  type: NoteKeyType,
): Promise<E.Either<string, NoteKeyFiles>> => {
  const generated = await generateNoteKey(name, type)
  return E.isLeft(generated)
    ? generated
    : E.right({
        signerKey: `${generated.right.signerKey}\n`,
        verifierKey: `${generated.right.verifierKey}\n`,
      })
}

const readKeyText = (path: string): E.Either<string, string> => {
  try {
    return E.right(readFileSync(path, 'utf8'))
  } catch (error) {
    return E.left(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

export const readVerifierKeyFile = async (path: string): Promise<E.Either<string, NoteVerifier>> => {
  const text = readKeyText(path)
  if (E.isLeft(text)) return text
  const key = await parseVerifierKey(text.right)
  return E.isLeft(key) ? E.left(`${path}: ${key.left}`) : key
}

export const readSignerKeyFile = async (path: string): Promise<E.Either<string, NoteSigner>> => {
  const text = readKeyText(path)
  if (E.isLeft(text)) return text
  const key = await parseSignerKey(text.right)
  return E.isLeft(key) ? E.left(`${path}: ${key.left}`) : key
}

/**
 * The log's signer from `directory/log.key`. With `create` (a dev service's data folder), a missing
 * key is made, named by `publicUrl`'s host, and its `log.vkey` beside it; without, it is an error.
 */
export const loadLogSigner = async (
  directory: string,
  options: { readonly create: boolean; readonly publicUrl?: string },
): Promise<E.Either<string, NoteSigner>> => {
  const path = join(directory, logKeyFile)
  if (!existsSync(path)) {
    if (!options.create) return E.left(`${path}: no such file (elicence keys --out DIR writes one)`)
    const files = await newNoteKeyFiles(
      defaultLogOrigin(options.publicUrl ?? defaultPublicUrl),
      noteKeyTypes.ed25519,
    )
    if (E.isLeft(files)) return files
    try {
      mkdirSync(directory, { recursive: true })
      writeFileSync(path, files.right.signerKey, { mode: 0o600, flag: 'wx' })
      writeFileSync(join(directory, logVerifierKeyFile), files.right.verifierKey, { mode: 0o644 })
    } catch (error) {
      return E.left(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const signer = await readSignerKeyFile(path)
  if (E.isLeft(signer)) return signer
  if (signer.right.type !== noteKeyTypes.ed25519)
    return E.left(`${path}: not a log key (an Ed25519 note key, type 0x01)`)
  return signer
}
