// Benchmark of the e-licence credential over HTTP (issue 11), against the built dist/ (run
// `pnpm bench`, which builds first). The service runs as `startService` on a fresh SQLite file —
// events and read models (e-licence views, status indexes) both in SQLite, synchronous=full — in a
// child process; this process loads it over loopback with `http-load.mjs`, a lean HTTP/1.1 client
// (keep-alive sockets, one request in flight on each, every response parsed and checked):
// - POST /licences/:n/credentials: the demo holder obtains SD-JWT VCs for a P-256 device key (each
//   one signs, hashes 11 disclosures and commits a random status index);
// - POST /presentations/verify: a verifier checks fresh presentations (issuer signature by kid,
//   every disclosure, the KB-JWT's ES256 signature against its cnf.jwk, sd_hash, freshness, and the
//   status list, which the service rebuilds only as its ttl allows). They come from BENCH_HOLDERS
//   (default 1,000) holders, each with its own device key and credential, one presentation each,
//   sent in turn, over and over. Each verification checks its KB-JWT's ES256 signature; the issuer
//   signature, the disclosures and the device key's import are the issuer-signed part's, which the
//   verifier keeps once it verified (`credentialCacheSize`, 4,096 by default, so each holder's part
//   is checked whole once). BENCH_CREDENTIAL_CACHE lists the cache sizes to run (default
//   `default,0`): with 0 the verifier keeps nothing and checks every presentation whole, both
//   signatures and all, as it does a credential it has never seen.
// Both scenarios run against a service that does all on its own thread, then one that makes the
// credentials and checks the presentations on worker threads (`credentialWorkers`; this machine
// has two cores): BENCH_WORKER_THREADS=0,1,2 (the default) lists
// the worker thread counts to run. Each scenario runs ~10 s after a short warm-up; it reports
// requests/s, p50/p99 latency, and fails on any non-2xx answer, socket error, or a verification
// that did not say valid. Aims (issue 11): ≥ 2 000 issues/s and ≥ 5 000 verifications/s on this
// machine's two shared cores.
//
// Each line also says how much CPU the service and this load generator used per request, in µs: on
// two cores, both share the machine. BENCH_ONLY=issue|verify runs one scenario;
// BENCH_CPU_PROF=<dir> runs the service under `node --cpu-prof` into that directory;
// BENCH_SERVICE=<dir of another built @elicence/http> runs that build's service instead of this
// one (an A/B against another checkout, in one run).
//
// Example: node packages/adapters/http/bench/credentials.bench.mjs
//          BENCH_SECONDS=5 BENCH_CONNECTIONS=16 node packages/adapters/http/bench/credentials.bench.mjs
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { httpLoad, requestBytes } from './http-load.mjs'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const only = process.env.BENCH_ONLY ?? ''
const profileDir = process.env.BENCH_CPU_PROF
const workerThreadCounts = (process.env.BENCH_WORKER_THREADS ?? '0,1,2').split(',').map(Number)
const holders = Number(process.env.BENCH_HOLDERS ?? 1000)
const serviceDir = process.env.BENCH_SERVICE
const cacheSizes = (process.env.BENCH_CREDENTIAL_CACHE ?? 'default,0').split(',')

// ── the child: the service on SQLite ──────────────────────────────────────────────────────────────
if (process.argv[2] === 'serve') {
  const dataDir = process.argv[3]
  const workerThreads = Number(process.argv[4])
  const cacheSize = process.argv[5]
  // Another checkout's build resolves its own dependencies (its `@elicence/sqlite` among them).
  const { startService } = await import(
    serviceDir === undefined
      ? '../dist/index.js'
      : pathToFileURL(join(resolve(serviceDir), 'dist/index.js')).href
  )
  const { sqliteEventStore, openSqliteReadModelStore } = await import(
    serviceDir === undefined
      ? '@elicence/sqlite'
      : pathToFileURL(join(resolve(serviceDir), 'node_modules/@elicence/sqlite/dist/index.js')).href
  )
  const E = await import('fp-ts/lib/Either.js')
  const service = await startService({
    storeUrl: 'sqlite:elicence.db',
    openStore: async () => E.right(sqliteEventStore({ path: join(dataDir, 'elicence.db') })),
    openReadModels: async () => openSqliteReadModelStore({ path: join(dataDir, 'read-models.db') }),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: true,
    logger: { level: 'warn' },
    out: { write: () => undefined },
    ...(workerThreads > 0 ? { credentialWorkers: { threads: workerThreads } } : {}),
    ...(cacheSize === 'default' ? {} : { credentialCacheSize: Number(cacheSize) }),
  })
  if (E.isLeft(service)) {
    console.error(service.left.message)
    process.exit(1)
  }
  process.stdout.write(`ready ${service.right.url} ${service.right.demoLicenceNumber}\n`)
  process.once('SIGTERM', async () => {
    await service.right.close()
    process.exit(0)
  })
} else {
  // ── the parent: the load generator ───────────────────────────────────────────────────────────
  const { defaultDisclosures, presentCredential } = await import('@elicence/projections')

  let failures = 0
  for (const workerThreads of workerThreadCounts)
    for (const [cacheIndex, cacheSize] of cacheSizes.entries()) {
      const dataDir = mkdtempSync(join(tmpdir(), 'elicence-credentials-bench-'))
      const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]
      const child = spawn(
        process.execPath,
        [...profile, fileURLToPath(import.meta.url), 'serve', dataDir, String(workerThreads), cacheSize],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      const [url, licenceNumber] = await new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)))
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('ready ')) resolve(line.slice('ready '.length).split(' '))
        })
      })
      const { hostname, port, host } = new URL(url)
      const { tokens } = JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8'))

      const deviceKey = async () => {
        const device = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
          'sign',
        ])
        const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', device.publicKey)
        return { privateKey: device.privateKey, issueBody: JSON.stringify({ holderKey: { kty, crv, x, y } }) }
      }
      const issuePath = `/licences/${licenceNumber}/credentials`
      const issueHeaders = {
        host,
        authorization: `Bearer ${tokens.holder}`,
        'content-type': 'application/json',
      }

      // CPU time (user + system) of a process in µs, from /proc (Linux); undefined elsewhere.
      const ticksPerSecond = 100
      const cpuMicrosOf = (pid) => {
        try {
          const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
          return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond
        } catch {
          return undefined
        }
      }
      const run = async (options) => {
        const before = { server: cpuMicrosOf(child.pid), client: process.cpuUsage() }
        const result = await httpLoad({ host: hostname, port: Number(port), connections, ...options })
        const client = process.cpuUsage(before.client)
        const serverAfter = cpuMicrosOf(child.pid)
        const server =
          before.server === undefined || serverAfter === undefined ? undefined : serverAfter - before.server
        return { ...result, cpu: { server, client: client.user + client.system } }
      }

      const report = (name, result, aim, refused = 0) => {
        const perSecond = Math.round(result.perSecond)
        const failures = result.non2xx + result.errors + refused
        const met = perSecond >= aim && failures === 0
        const perRequest = (micros) =>
          micros === undefined ? '?' : String(Math.round(micros / Math.max(1, result.total)))
        const ms = (value) => (value < 10 ? value.toFixed(1) : String(Math.round(value))).padStart(4)
        console.log(
          `${name.padEnd(34)} ${String(perSecond).padStart(7)} req/s  p50 ${ms(result.p50)} ms  p99 ${ms(result.p99)} ms  ` +
            `${result.total - failures} ok, ${failures} failed  (aim ≥ ${aim}/s: ${met ? 'met' : 'MISSED'})  ` +
            `CPU/request: service ${perRequest(result.cpu.server)} µs, client ${perRequest(result.cpu.client)} µs`,
        )
        return failures
      }

      try {
        console.log(
          `service on ${url} (SQLite events and read models, synchronous=full), ${connections} connections, ${seconds} s per run, ` +
            (workerThreads === 0
              ? 'credentials made and presentations checked on the service thread'
              : `credentials made and presentations checked on ${workerThreads} worker thread(s)`) +
            (cacheSize === 'default'
              ? ''
              : `, credential cache ${cacheSize}${cacheSize === '0' ? ' (every presentation checked whole)' : ''}`) +
            (serviceDir === undefined ? '' : `, the service of ${serviceDir}`),
        )
        // The cache changes nothing in issuing: issued once per thread count.
        if (only !== 'verify' && cacheIndex === 0) {
          const { issueBody } = await deviceKey()
          const issueRequest = requestBytes('POST', issuePath, issueHeaders, issueBody)
          const issueRun = { nextRequest: () => issueRequest }
          await run({ ...issueRun, durationMs: 2000 })
          failures += report(
            'POST /licences/:n/credentials',
            await run({ ...issueRun, durationMs: seconds * 1000 }),
            2000,
          )
        }

        if (only !== 'issue') {
          // Each holder obtains a credential for a device key of its own, and presents it once with a
          // nonce of its own: fresh for the 60 s a verifier accepts, longer than the warm-up and the run.
          const credentials = []
          for (let start = 0; start < holders; start += 50) {
            const batch = await Promise.all(
              Array.from({ length: Math.min(50, holders - start) }, async () => {
                const device = await deviceKey()
                const issued = await fetch(`${url}${issuePath}`, {
                  method: 'POST',
                  headers: issueHeaders,
                  body: device.issueBody,
                })
                if (issued.status !== 201)
                  throw new Error(`issuing a credential: ${issued.status} ${await issued.text()}`)
                return { device, credential: (await issued.json()).credential }
              }),
            )
            credentials.push(...batch)
          }
          const presentedAt = Date.now()
          const verifyHeaders = {
            host,
            authorization: `Bearer ${tokens.verifier}`,
            'content-type': 'application/json',
          }
          const presentations = await Promise.all(
            credentials.map(({ device, credential }, index) =>
              presentCredential(credential, {
                disclose: defaultDisclosures,
                deviceKey: device.privateKey,
                algorithm: 'ES256',
                audience: url,
                nonce: `bench-${index}`,
                now: presentedAt,
              }).then((presentation) =>
                requestBytes(
                  'POST',
                  '/presentations/verify',
                  verifyHeaders,
                  JSON.stringify({ presentation }),
                ),
              ),
            ),
          )
          let next = 0
          let refused = 0
          const verifyRun = {
            nextRequest: () => presentations[next++ % presentations.length],
            onResponse: (status, body) => {
              if (status === 200 && !body.includes('"valid":true')) refused++
            },
          }
          await run({ ...verifyRun, durationMs: 2000 })
          refused = 0
          const result = await run({ ...verifyRun, durationMs: seconds * 1000 })
          if (Date.now() - presentedAt > 60_000)
            throw new Error('the presentations went stale during the run: lower BENCH_SECONDS')
          failures += report(`POST /presentations/verify (${holders} holders)`, result, 5000, refused)
        }
      } finally {
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  if (failures > 0) {
    console.error(`${failures} requests failed`)
    process.exit(1)
  }
}
