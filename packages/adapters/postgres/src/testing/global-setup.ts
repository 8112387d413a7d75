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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Durability is not under test here; without fsync the many small commits of the suite run faster.
  const server = await startTestPostgres({ postgresFlags: ['-c', 'fsync=off'] })
  project.provide('postgresUrl', server.url)
  return server.stop
}
