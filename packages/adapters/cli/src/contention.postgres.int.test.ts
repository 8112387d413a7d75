// Issue 9's contention cases on PostgreSQL (the `postgres` test project's server): real
// `elicence exec` processes, and clients of one handler in this process; see fixtures/contention.ts.
// Each case works on a licence number of its own in the server's default schema.
import { inject } from 'vitest'
import { contentionCases } from './fixtures/contention.js'

contentionCases('postgres', async () => inject('postgresUrl'))
