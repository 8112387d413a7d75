// Issue 9's contention cases on SQLite: real `elicence exec` processes on one file, and clients of
// one handler in this process; see fixtures/contention.ts.
import { afterAll } from 'vitest'
import { contentionCases } from './fixtures/contention.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-contention-')
afterAll(files.remove)
let stores = 0

contentionCases('sqlite', async () => `sqlite:${files.path(`contention-${++stores}.db`)}`)
