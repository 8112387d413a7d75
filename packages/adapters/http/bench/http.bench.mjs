// Benchmark of the HTTP service (issue 5), against the built dist/ (run `pnpm bench`, which builds
// first). The service runs as `startService` on a fresh SQLite file in a child process; this process
// loads it over loopback with autocannon, so client and server are separate processes as in use:
// - POST /commands: distinct RecordLicence commands, one licence number each (every request appends);
// - GET /licences/:n/verification: a verifier checking licences recorded by the first run.
// Each scenario runs ~10 s after a short warm-up; it reports requests/s, p50/p99 latency, and fails
// on any non-2xx answer or socket error. Aims (issue 5): ≥ 2 000 commands/s, ≥ 10 000
// verifications/s, p99 < 20 ms, on this machine's two shared cores.
//
// Example: node packages/adapters/http/bench/http.bench.mjs
//          BENCH_SECONDS=5 BENCH_CONNECTIONS=16 node packages/adapters/http/bench/http.bench.mjs
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)

// ── the child: the service on SQLite ──────────────────────────────────────────────────────────────
if (process.argv[2] === 'serve') {
  const dataDir = process.argv[3]
  const { startService } = await import('../dist/index.js')
  const { sqliteEventStore } = await import('@elicence/sqlite')
  const E = await import('fp-ts/lib/Either.js')
  const service = await startService({
    storeUrl: 'sqlite:elicence.db',
    openStore: async () => E.right(sqliteEventStore({ path: join(dataDir, 'elicence.db') })),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: true,
    // A service logs warnings and errors; one JSON line per request would be the benchmark's cost.
    logger: { level: 'warn' },
    out: { write: () => undefined },
  })
  if (E.isLeft(service)) {
    console.error(service.left.message)
    process.exit(1)
  }
  process.stdout.write(`ready ${service.right.url}\n`)
  process.once('SIGTERM', async () => {
    await service.right.close()
    process.exit(0)
  })
} else {
  // ── the parent: autocannon ─────────────────────────────────────────────────────────────────────
  const autocannon = (await import('autocannon')).default
  const { citizenIdCheckCharacter } = await import('@elicence/domain')

  const dataDir = mkdtempSync(join(tmpdir(), 'elicence-http-bench-'))
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(line.slice('ready '.length))
    })
  })
  const { tokens } = JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8'))

  /** Distinct valid licence numbers: region 110105, birth dates from 1950 on, sequence 100–999. */
  const licenceNumberFor = (serial) => {
    const born = new Date(Date.UTC(1950, 0, 1) + Math.floor(serial / 900) * 86_400_000)
    const first17 = `110105${born.toISOString().slice(0, 10).replaceAll('-', '')}${String(100 + (serial % 900)).padStart(3, '0')}`
    return `${first17}${citizenIdCheckCharacter(first17)}`
  }
  const recordLicence = (serial) =>
    JSON.stringify({
      type: 'RecordLicence',
      data: {
        licenceNumber: licenceNumberFor(serial),
        holder: { accountId: `acct-${serial}`, name: '张三' },
        classes: ['C1'],
        validFrom: '2022-06-01',
        validUntil: '2032-06-01',
        authority: { code: '京A', name: '北京市公安局公安交通管理局' },
        statuses: ['A'],
        photoOnFile: true,
      },
      metadata: { commandId: crypto.randomUUID() },
    })

  const run = (options) =>
    new Promise((resolve, reject) => {
      autocannon({ url, connections, pipelining: 1, ...options }, (error, result) =>
        error ? reject(error) : resolve(result),
      )
    })

  const report = (name, result, aim) => {
    const perSecond = Math.round(result.requests.average)
    const p99 = result.latency.p99
    const failures = result.non2xx + result.errors + result.timeouts
    const met = perSecond >= aim && p99 < 20 && failures === 0
    console.log(
      `${name.padEnd(34)} ${String(perSecond).padStart(7)} req/s  p50 ${String(result.latency.p50).padStart(3)} ms  p99 ${String(p99).padStart(3)} ms  ` +
        `${result['2xx']} ok, ${failures} failed  (aim ≥ ${aim}/s, p99 < 20 ms: ${met ? 'met' : 'MISSED'})`,
    )
    return failures
  }

  let serial = 0
  let failures = 0
  try {
    console.log(
      `service on ${url} (SQLite, synchronous=full), ${connections} connections, ${seconds} s per run`,
    )
    const commandRequests = [
      {
        method: 'POST',
        path: '/commands',
        headers: { authorization: `Bearer ${tokens.registry}`, 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: recordLicence(serial++) }),
      },
    ]
    await run({ duration: 2, requests: commandRequests })
    failures += report(
      'POST /commands (RecordLicence)',
      await run({ duration: seconds, requests: commandRequests }),
      2000,
    )

    const recorded = serial
    let probe = 0
    const verificationRequests = [
      {
        method: 'GET',
        headers: { authorization: `Bearer ${tokens.verifier}` },
        setupRequest: (request) => ({
          ...request,
          path: `/licences/${licenceNumberFor(probe++ % recorded)}/verification`,
        }),
      },
    ]
    await run({ duration: 2, requests: verificationRequests })
    failures += report(
      'GET /licences/:n/verification',
      await run({ duration: seconds, requests: verificationRequests }),
      10_000,
    )
    console.log(`${recorded} licences recorded during the runs`)
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    rmSync(dataDir, { recursive: true, force: true })
  }
  if (failures > 0) {
    console.error(`${failures} requests failed`)
    process.exit(1)
  }
}
