/**
 * Credentials of a development service, kept in its data folder so a restart keeps them: a random
 * bearer token per role (`dev-tokens.json`, which also names the demo licence) and the issuer's
 * Ed25519 key that signs credentials and status lists (`issuer-key.jwk`, a private JWK with its
 * RFC 7638 `kid`). Each file is created on first start, readable by its owner only. Production
 * configuration passes tokens and keys instead (`elicence keys` writes a key folder; a folder may
 * also hold `previous-issuer-keys.json`, a JWKS of retired keys that stay published).
 *
 * @example
 * const credentials = await loadOrCreateDevCredentials('./data', '11010519491231002X')
 * // Right({ tokens: Map { '…' => { role: 'holder', id: 'demo-holder' }, … }, tokensByRole: { holder: '…', … }, keys })
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Actor, type ActorRole, actorRoles } from '@elicence/domain'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { parseTokenTable, type TokenTable } from './auth.js'

export const devTokensFile = 'dev-tokens.json'
/** The current issuer key: a private Ed25519 JWK with its `kid`. */
export const issuerKeyFile = 'issuer-key.jwk'
/** Retired issuer keys, `{ "keys": [JWK, …] }`: published while credentials they signed live. */
export const previousIssuerKeysFile = 'previous-issuer-keys.json'

/** The account of the demo licence's holder: the holder token acts as this account. */
export const demoHolderAccountId = 'demo-holder'

export interface DevTokensFile {
  readonly licenceNumber: string | null
  readonly tokens: Readonly<Record<ActorRole, string>>
}

export interface DevCredentials {
  readonly tokens: TokenTable
  readonly tokensByRole: Readonly<Record<ActorRole, string>>
  readonly keys: IssuerKeys
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

const parseJson = (text: string, path: string): E.Either<string, unknown> => {
  try {
    return E.right(JSON.parse(text))
  } catch {
    return E.left(`${path}: not JSON`)
  }
}

/**
 * The issuer keys in a folder: `issuer-key.jwk` and, when present, `previous-issuer-keys.json`, as
 * `elicence keys` writes them. With `create`, a missing current key is generated (a dev service's
 * data folder); without, it is an error.
 */
export const loadIssuerKeys = async (
  directory: string,
  options: { readonly create: boolean },
): Promise<E.Either<string, IssuerKeys>> => {
  const path = join(directory, issuerKeyFile)
  const text = await readOrCreate(
    path,
    options.create ? async () => `${JSON.stringify(await generateIssuerKey(), null, 2)}\n` : undefined,
  )
  if (text === undefined) return E.left(`${path}: no such file (elicence keys --out DIR writes one)`)
  const current = parseJson(text, path)
  if (E.isLeft(current)) return current
  const previousPath = join(directory, previousIssuerKeysFile)
  let previous: ReadonlyArray<unknown> = []
  if (existsSync(previousPath)) {
    const set = parseJson(readFileSync(previousPath, 'utf8'), previousPath)
    if (E.isLeft(set)) return set
    const keys = (set.right as { keys?: unknown }).keys
    if (!Array.isArray(keys)) return E.left(`${previousPath}: expected a JWK Set { "keys": [ … ] }`)
    previous = keys
  }
  const imported = await importIssuerKeys(current.right, previous)
  return E.isLeft(imported) ? E.left(`${directory}: ${imported.left}`) : imported
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
  const keys = await loadIssuerKeys(dataDir, { create: true })
  if (E.isLeft(keys)) return keys
  return E.right({ tokens: tokens.right, tokensByRole, keys: keys.right })
}
