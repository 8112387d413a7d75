/**
 * Credentials of a development service, kept in its data folder so a restart keeps them: a random
 * bearer token per role (`dev-tokens.json`, which also names the demo licence), the Ed25519 key that
 * signs presentations (`presentation-key.pem`) and the AES-256 key that seals the e-licence id into
 * their reference (`presentation-reference.key`, base64url). Each file is created on first start
 * (a data folder from before the reference key gains one), readable by its owner only. Production
 * configuration passes tokens and keys instead.
 *
 * @example
 * const credentials = await loadOrCreateDevCredentials('./data', '11010519491231002X')
 * // Right({ tokens: Map { '…' => { role: 'holder', id: 'demo-holder' }, … }, tokensByRole: { holder: '…', … }, keys })
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Actor, type ActorRole, actorRoles } from '@elicence/domain'
import {
  type GeneratedKeys,
  generatePresentationKeys,
  importReferenceKey,
  importSigningKey,
  importVerificationKey,
  publicKeyPemOf,
} from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { parseTokenTable, type TokenTable } from './auth.js'
import type { PresentationKeys } from './server.js'

export const devTokensFile = 'dev-tokens.json'
export const presentationKeyFile = 'presentation-key.pem'
export const presentationReferenceKeyFile = 'presentation-reference.key'
/** The public key alone, for verifiers that check presentations offline. */
export const presentationPublicKeyFile = 'presentation-public.pem'

/** The account of the demo licence's holder: the holder token acts as this account. */
export const demoHolderAccountId = 'demo-holder'

export interface DevTokensFile {
  readonly licenceNumber: string | null
  readonly tokens: Readonly<Record<ActorRole, string>>
}

export interface DevCredentials {
  readonly tokens: TokenTable
  readonly tokensByRole: Readonly<Record<ActorRole, string>>
  readonly keys: PresentationKeys
}

const actorFor = (role: ActorRole): Actor =>
  ({ role, id: role === 'holder' ? demoHolderAccountId : `dev-${role}` }) as Actor

const newToken = (): string => randomBytes(24).toString('base64url')

const readTokens = (path: string): Record<ActorRole, string> | undefined => {
  if (!existsSync(path)) return undefined
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    const tokens = (parsed as { tokens?: unknown }).tokens
    if (typeof tokens !== 'object' || tokens === null) return undefined
    const byRole = tokens as Record<string, unknown>
    return actorRoles.every(
      (role) => typeof byRole[role] === 'string' && (byRole[role] as string).length >= 16,
    )
      ? (byRole as Record<ActorRole, string>)
      : undefined
  } catch {
    return undefined
  }
}

/** Writes `dev-tokens.json` (owner-only): the demo licence and a token per role, as printed at start. */
export const writeDevTokensFile = (dataDir: string, content: DevTokensFile): void => {
  writeFileSync(join(dataDir, devTokensFile), `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
}

/**
 * The file's text; when there is no file, `create()`'s written owner-only, or undefined when nothing
 * may be created (keys from configuration must exist).
 */
const readOrCreate = async (
  path: string,
  create: (() => Promise<string>) | undefined,
): Promise<string | undefined> => {
  if (existsSync(path)) return readFileSync(path, 'utf8')
  if (create === undefined) return undefined
  const text = await create()
  writeFileSync(path, text, { mode: 0o600 })
  return text
}

/**
 * The presentation keys in a folder: `presentation-key.pem` (Ed25519, PKCS#8 PEM) and
 * `presentation-reference.key` (AES-256, base64url), as `elicence keys` writes them. With `create`,
 * missing files are generated (a dev service's data folder); without, a missing file is an error.
 */
export const loadPresentationKeys = async (
  directory: string,
  options: { readonly create: boolean },
): Promise<E.Either<string, PresentationKeys>> => {
  const path = join(directory, presentationKeyFile)
  const referencePath = join(directory, presentationReferenceKeyFile)
  let generated: Promise<GeneratedKeys> | undefined
  const fresh = () => {
    generated ??= generatePresentationKeys()
    return generated
  }
  const privateKeyPem = await readOrCreate(
    path,
    options.create ? async () => (await fresh()).privateKeyPem : undefined,
  )
  if (privateKeyPem === undefined) return E.left(`${path}: no such file (elicence keys --out DIR writes one)`)
  const signingKey = await importSigningKey(privateKeyPem)
  if (E.isLeft(signingKey)) return E.left(`${path}: ${signingKey.left}`)
  const publicKeyPem = await publicKeyPemOf(privateKeyPem)
  if (E.isLeft(publicKeyPem)) return E.left(`${path}: ${publicKeyPem.left}`)
  const verificationKey = await importVerificationKey(publicKeyPem.right)
  if (E.isLeft(verificationKey)) return E.left(`${path}: ${verificationKey.left}`)
  const referenceText = await readOrCreate(
    referencePath,
    options.create ? async () => `${(await fresh()).referenceKey}\n` : undefined,
  )
  if (referenceText === undefined) {
    return E.left(`${referencePath}: no such file (elicence keys --out DIR writes one)`)
  }
  const referenceKey = await importReferenceKey(referenceText)
  if (E.isLeft(referenceKey)) return E.left(`${referencePath}: ${referenceKey.left}`)
  return E.right({
    signingKey: signingKey.right,
    verificationKey: verificationKey.right,
    referenceKey: referenceKey.right,
  })
}

/**
 * Tokens from `dev-tokens.json` when it holds one for every role, else new random ones (the file is
 * then rewritten by `writeDevTokensFile` once the service knows its demo licence); the keys likewise.
 */
export const loadOrCreateDevCredentials = async (
  dataDir: string,
): Promise<E.Either<string, DevCredentials>> => {
  mkdirSync(dataDir, { recursive: true })
  const tokensByRole =
    readTokens(join(dataDir, devTokensFile)) ??
    (Object.fromEntries(actorRoles.map((role) => [role, newToken()])) as Record<ActorRole, string>)
  const tokens = parseTokenTable(
    Object.fromEntries(actorRoles.map((role) => [tokensByRole[role], actorFor(role)])),
  )
  if (E.isLeft(tokens)) return E.left(`${join(dataDir, devTokensFile)}: ${tokens.left}`)
  const keys = await loadPresentationKeys(dataDir, { create: true })
  if (E.isLeft(keys)) return keys
  return E.right({ tokens: tokens.right, tokensByRole, keys: keys.right })
}
