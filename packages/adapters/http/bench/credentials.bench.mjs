// Benchmark of the e-licence credential over HTTP (issue 11), against the built dist/ (run
// `pnpm bench`, which builds first). The service runs as `startService` on a fresh SQLite file —
// events and read models (e-licence views, status indexes) both in SQLite, synchronous=full — in a
// child process; this process loads it over loopback with autocannon:
// - POST /licences/:n/credentials: the demo holder obtains SD-JWT VCs for a P-256 device key (each
//   one signs, hashes 11 disclosures and commits a random status index);
// - POST /presentations/verify: a verifier checks fresh presentations (issuer signature by kid,
//   every disclosure, the KB-JWT's ES256 signature, sd_hash, freshness, and the status list, which
//   the service rebuilds only as its ttl allows).
// Both scenarios run against a service that does all on its own thread, then one that makes the
// credentials and checks the presentations on a worker thread (`credentialWorkers`; this machine
// has two cores): BENCH_WORKER_THREADS=0,1 (the default) lists the worker thread counts to run.
// Each scenario runs ~10 s after a short warm-up; it reports requests/s, p50/p99 latency, and fails
// on any non-2xx answer, socket error, or a verification that did not say valid. Aims (issue 11):
// ≥ 2 000 issues/s and ≥ 5 000 verifications/s on this machine's two shared cores.
//
// Each line also says how much CPU the service and this load generator (autocannon, in this process)
// used per request, in µs: on two cores, both share the machine. BENCH_ONLY=issue|verify runs one
// scenario; BENCH_CPU_PROF=<dir> runs the service under `node --cpu-prof` into that directory.
//
// Example: node packages/adapters/http/bench/credentials.bench.mjs
//          BENCH_SECONDS=5 BENCH_CONNECTIONS=16 node packages/adapters/http/bench/credentials.bench.mjs
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const only = process.env.BENCH_ONLY ?? ''
const profileDir = process.env.BENCH_CPU_PROF
const workerThreadCounts = (process.env.BENCH_WORKER_THREADS ?? '0,1').split(',').map(Number)

// ── the child: the service on SQLite ──────────────────────────────────────────────────────────────
if (process.argv[2] === 'serve') {
  const dataDir = process.argv[3]
  const workerThreads = Number(process.argv[4])
  const { startService } = await import('../dist/index.js')
  const { sqliteEventStore, openSqliteReadModelStore } = await import('@elicence/sqlite')
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
  // ── the parent: autocannon ─────────────────────────────────────────────────────────────────────
  const autocannon = (await import('autocannon')).default
  const { defaultDisclosures, presentCredential } = await import('@elicence/projections')

  let failures = 0
  for (const workerThreads of workerThreadCounts) {
    const dataDir = mkdtempSync(join(tmpdir(), 'elicence-credentials-bench-'))
    const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]
    const child = spawn(
      process.execPath,
      [...profile, fileURLToPath(import.meta.url), 'serve', dataDir, String(workerThreads)],
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
    const { tokens } = JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8'))

    const device = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', device.publicKey)
    const issueBody = JSON.stringify({ holderKey: { kty, crv, x, y } })

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
      const result = await new Promise((resolve, reject) => {
        autocannon({ url, connections, pipelining: 1, ...options }, (error, result) =>
          error ? reject(error) : resolve(result),
        )
      })
      const client = process.cpuUsage(before.client)
      const serverAfter = cpuMicrosOf(child.pid)
      const server =
        before.server === undefined || serverAfter === undefined ? undefined : serverAfter - before.server
      return { ...result, cpu: { server, client: client.user + client.system } }
    }

    const report = (name, result, aim, refused = 0) => {
      const perSecond = Math.round(result.requests.average)
      const failures = result.non2xx + result.errors + result.timeouts + refused
      const met = perSecond >= aim && failures === 0
      const perRequest = (micros) =>
        micros === undefined ? '?' : String(Math.round(micros / Math.max(1, result.requests.total)))
      console.log(
        `${name.padEnd(34)} ${String(perSecond).padStart(7)} req/s  p50 ${String(result.latency.p50).padStart(3)} ms  p99 ${String(result.latency.p99).padStart(3)} ms  ` +
          `${result['2xx']} ok, ${failures} failed  (aim ≥ ${aim}/s: ${met ? 'met' : 'MISSED'})  ` +
          `CPU/request: service ${perRequest(result.cpu.server)} µs, client ${perRequest(result.cpu.client)} µs`,
      )
      return failures
    }

    try {
      console.log(
        `service on ${url} (SQLite events and read models, synchronous=full), ${connections} connections, ${seconds} s per run, ` +
          (workerThreads === 0
            ? 'credentials made and presentations checked on the service thread'
            : `credentials made and presentations checked on ${workerThreads} worker thread(s)`),
      )
      const issueRequests = [
        {
          method: 'POST',
          path: `/licences/${licenceNumber}/credentials`,
          headers: { authorization: `Bearer ${tokens.holder}`, 'content-type': 'application/json' },
          body: issueBody,
        },
      ]
      if (only !== 'verify') {
        await run({ duration: 2, requests: issueRequests })
        failures += report(
          'POST /licences/:n/credentials',
          await run({ duration: seconds, requests: issueRequests }),
          2000,
        )
      }

      // Fresh presentations of one credential, each with its own nonce: valid for the 60 s a verifier
      // accepts, longer than the warm-up and the run.
      const issued = await fetch(`${url}/licences/${licenceNumber}/credentials`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.holder}`, 'content-type': 'application/json' },
        body: issueBody,
      })
      const { credential } = await issued.json()
      const presentations = await Promise.all(
        Array.from({ length: 256 }, (_, index) =>
          presentCredential(credential, {
            disclose: defaultDisclosures,
            deviceKey: device.privateKey,
            algorithm: 'ES256',
            audience: url,
            nonce: `bench-${index}`,
            now: Date.now(),
          }).then((presentation) => JSON.stringify({ presentation })),
        ),
      )
      let next = 0
      let refused = 0
      const verifyRequests = [
        {
          method: 'POST',
          path: '/presentations/verify',
          headers: { authorization: `Bearer ${tokens.verifier}`, 'content-type': 'application/json' },
          setupRequest: (request) => ({ ...request, body: presentations[next++ % presentations.length] }),
          onResponse: (status, body) => {
            if (status === 200 && !body.includes('"valid":true')) refused++
          },
        },
      ]
      if (only !== 'issue') {
        await run({ duration: 2, requests: verifyRequests })
        refused = 0
        failures += report(
          'POST /presentations/verify',
          await run({ duration: seconds, requests: verifyRequests }),
          5000,
          refused,
        )
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
