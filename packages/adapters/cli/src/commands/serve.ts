/**
 * `elicence serve`: the HTTP API and the web pages over a store (DESIGN §7), through `startService`
 * of @elicence/http. The CLI opens the store by URL, as for every other command; the service prints
 * its URLs and a dev token per role (also written to `<data>/dev-tokens.json`) and runs until
 * SIGINT or SIGTERM, then lets requests in flight finish and closes the store.
 *
 * @example
 * $ elicence serve --store sqlite:./data/elicence.db --demo
 * $ PORT=8080 HOST=0.0.0.0 elicence serve --store postgres://localhost/elicence
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { loadIssuerKeys, loadLogSigner, parseTokenTable, startService, type TokenTable } from '@elicence/http'
import { credentialCacheSizeProblem, type IssuerKeys, type NoteSigner } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { calendarEnvironmentVariable, calendarOptionUsage, loadCalendar } from '../calendar-file.js'
import { complain } from '../cli-io.js'
import { clockSkewEnvironmentVariable, clockSkewOf, clockSkewOptionUsage } from '../clock-skew.js'
import { exitCodes } from '../exit-codes.js'
import { readJsonFile } from '../json-file.js'
import { openEventStore, openReadModelStore, parseStoreUrl } from '../store-url.js'
import { type CliCommand, storeEnvironmentVariable, usageError } from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence serve [--store URL] [--data DIR] [--demo] [--calendar FILE] [--max-clock-skew MS] [--tokens FILE] [--keys DIR] [--public-url URL] [--credential-workers N] [--credential-cache N]

Serves the JSON API (/openapi.json describes it), the holder's live e-licence page (/) and the
verifier's page (/verify) until SIGINT or SIGTERM. Prints the URLs and a dev token per role, and
writes them to DIR/dev-tokens.json; tokens and the issuer key are kept in DIR, so a restart keeps
them.

Options:
  --store URL      memory:, sqlite:PATH, postgres://…, esdb://… (default: $${storeEnvironmentVariable},
                   else sqlite:DIR/elicence.db)
  --data DIR       where dev tokens and the dev issuer key live (default: ./data)
  --demo           record a demo licence with an issued e-licence, unless already there
  --tokens FILE    bearer tokens: { "<token>": { "role": …, "id": … } } (default: $ELICENCE_TOKENS;
                   without, a dev token per role is made in DIR and printed)
  --keys DIR       the issuer key (and retired ones) and the log key written by \`elicence keys\`
                   (default: $ELICENCE_KEYS; without, dev keys are made in DIR)
  --public-url URL the service's public URL, the \`iss\` of its credentials (default:
                   $ELICENCE_PUBLIC_URL, else the address it listens on)
  --credential-workers N
                   worker threads that issue credentials and check presentations, beside the
                   thread that serves HTTP (default: $ELICENCE_CREDENTIAL_WORKERS, else 0: all on
                   that thread); on a machine with cores to spare,
                   1 or 2 verify more presentations per second
  --credential-cache N
                   presented credentials that verified kept checked (issuer signature,
                   disclosures, device key imported) for their next presentations, on each
                   worker thread too (default: $ELICENCE_CREDENTIAL_CACHE, else 4096; 0 keeps none)
${calendarOptionUsage}
${clockSkewOptionUsage}
  -h, --help       show this text

Environment: PORT (default 3000), HOST (default 127.0.0.1), LOG_LEVEL (default info),
ELICENCE_PUBLIC_URL (names a dev log key: its host + /elicence/log).

Exit status: 0 stopped by a signal; 2 bad arguments or configuration; 3 the store could not be
opened or the port could not be bound.`

const tokensEnvironmentVariable = 'ELICENCE_TOKENS'
const credentialWorkersEnvironmentVariable = 'ELICENCE_CREDENTIAL_WORKERS'
const maxCredentialWorkers = 64

/** Undefined for none (0 or not given); a whole number of threads up to 64 otherwise. */
const credentialWorkersOf = (text: string | undefined): E.Either<string, number | undefined> => {
  if (text === undefined || text === '0') return E.right(undefined)
  if (!/^[1-9][0-9]?$/.test(text) || Number(text) > maxCredentialWorkers)
    return E.left(
      `--credential-workers (or $${credentialWorkersEnvironmentVariable}) must be a whole number of threads from 0 to ${maxCredentialWorkers}, got ${JSON.stringify(text)}`,
    )
  return E.right(Number(text))
}
const credentialCacheEnvironmentVariable = 'ELICENCE_CREDENTIAL_CACHE'

/** Undefined for the default (not given); a whole number of keys, 0 or more, otherwise. */
const credentialCacheOf = (text: string | undefined): E.Either<string, number | undefined> => {
  if (text === undefined) return E.right(undefined)
  const size = /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : Number.NaN
  return credentialCacheSizeProblem(size) === undefined
    ? E.right(size)
    : E.left(
        `--credential-cache (or $${credentialCacheEnvironmentVariable}) must be a whole number of credentials, 0 or more (0 keeps none), got ${JSON.stringify(text)}`,
      )
}
const keysEnvironmentVariable = 'ELICENCE_KEYS'

/**
 * Production credentials from configuration: a token table file (`{ "<token>": { role, id } }`) and
 * a folder of issuer keys (`elicence keys`). Either may be absent: the service then makes dev
 * ones in its data folder.
 */
const configuredCredentials = async (
  tokensFile: string | undefined,
  keysDirectory: string | undefined,
): Promise<
  E.Either<string, { tokens?: TokenTable; issuerKeys?: IssuerKeys; log?: { readonly signer: NoteSigner } }>
> => {
  let tokens: TokenTable | undefined
  if (tokensFile !== undefined) {
    const json = readJsonFile(tokensFile, 'tokens')
    if (E.isLeft(json)) return json
    const table = parseTokenTable(json.right)
    if (E.isLeft(table)) return E.left(`tokens ${tokensFile}: ${table.left}`)
    tokens = table.right
  }
  let issuerKeys: IssuerKeys | undefined
  if (keysDirectory !== undefined) {
    const keys = await loadIssuerKeys(keysDirectory, { create: false })
    if (E.isLeft(keys)) return E.left(`keys: ${keys.left}`)
    issuerKeys = keys.right
  }
  let log: { readonly signer: NoteSigner } | undefined
  if (keysDirectory !== undefined) {
    const signer = await loadLogSigner(keysDirectory, { create: false })
    if (E.isLeft(signer)) return E.left(`keys: ${signer.left}`)
    log = { signer: signer.right }
  }
  return E.right({
    ...(tokens === undefined ? {} : { tokens }),
    ...(issuerKeys === undefined ? {} : { issuerKeys }),
    ...(log === undefined ? {} : { log }),
  })
}

/** Resolves with the first of the signals; the process's default handling of them is off meanwhile. */
const untilSignal = (signals: ReadonlyArray<NodeJS.Signals>): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    const handlers = signals.map((name) => {
      const handler = () => {
        for (const [other, otherHandler] of handlers) process.off(other, otherHandler)
        resolve(name)
      }
      process.on(name, handler)
      return [name, handler] as const
    })
  })

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'serve the HTTP API and the e-licence web pages',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, serveCommand, args, {
      flags: {
        data: 'string',
        demo: 'boolean',
        calendar: 'string',
        tokens: 'string',
        keys: 'string',
        'public-url': 'string',
        'max-clock-skew': 'string',
        'credential-workers': 'string',
        'credential-cache': 'string',
      },
      positionals: false,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values } = parsed.right
    const dataDir = values.data ?? './data'
    const storeUrl = values.store ?? io.env[storeEnvironmentVariable] ?? `sqlite:${dataDir}/elicence.db`

    const calendar = loadCalendar(values.calendar ?? io.env[calendarEnvironmentVariable])
    if (E.isLeft(calendar)) return usageError(io, serveCommand, calendar.left)
    for (const note of calendar.right.notes) io.stderr.write(`${note}\n`)
    const skew = clockSkewOf(values['max-clock-skew'] ?? io.env[clockSkewEnvironmentVariable])
    if (E.isLeft(skew)) return usageError(io, serveCommand, skew.left)
    const workers = credentialWorkersOf(
      values['credential-workers'] ?? io.env[credentialWorkersEnvironmentVariable],
    )
    if (E.isLeft(workers)) return usageError(io, serveCommand, workers.left)
    const credentialCache = credentialCacheOf(
      values['credential-cache'] ?? io.env[credentialCacheEnvironmentVariable],
    )
    if (E.isLeft(credentialCache)) return usageError(io, serveCommand, credentialCache.left)

    const configured = await configuredCredentials(
      values.tokens ?? io.env[tokensEnvironmentVariable],
      values.keys ?? io.env[keysEnvironmentVariable],
    )
    if (E.isLeft(configured)) return usageError(io, serveCommand, configured.left)

    const location = parseStoreUrl(storeUrl)
    if (E.isLeft(location)) return usageError(io, serveCommand, location.left.message)
    // A fresh clone has no ./data yet; SQLite creates the file but not its folder.
    if (location.right._tag === 'sqlite') mkdirSync(dirname(location.right.path), { recursive: true })

    const service = await startService({
      storeUrl,
      openStore: openEventStore,
      openReadModels: openReadModelStore,
      dataDir,
      demo: values.demo === true,
      calendar: calendar.right.calendar,
      ...(skew.right === undefined ? {} : { maxClockSkewMs: skew.right }),
      ...configured.right,
      ...(values['public-url'] === undefined ? {} : { publicUrl: values['public-url'] }),
      ...(workers.right === undefined ? {} : { credentialWorkers: { threads: workers.right } }),
      ...(credentialCache.right === undefined ? {} : { credentialCacheSize: credentialCache.right }),
      env: io.env,
      out: io.stdout,
    })
    if (E.isLeft(service)) {
      complain(io, serveCommand.name, service.left.message)
      return service.left.code === 'invalid-configuration' ? exitCodes.invalidInput : exitCodes.storeFailure
    }
    const signal = await untilSignal(['SIGINT', 'SIGTERM'])
    service.right.app.log.info(
      { signal },
      'shutting down: finishing requests in flight, then closing the store',
    )
    await service.right.close()
    return exitCodes.ok
  },
}
