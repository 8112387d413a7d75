// A PostgreSQL URL whose port accepts connections and never says a word (a real TCP server that
// holds every socket open in silence, as a hung host or a half-open firewall does): every verb that
// opens the store ends with exit 3 and an error naming the limit that ran out, instead of hanging.
// The limits come from the URL (libpq's `connect_timeout`, in seconds) or their defaults.
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceNumberFor, ndjson, recordLicence } from './fixtures/licence-commands.js'
import { runInProcess } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-silent-postgres-')
const sockets = new Set<Socket>()
let silent: Server
let port = 0

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const address = silent.address()
  port = typeof address === 'object' && address !== null ? address.port : 0
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
  files.remove()
})

const url = (query = '?connect_timeout=1') => `postgres://elicence:secret@127.0.0.1:${port}/elicence${query}`

describe('a PostgreSQL port that accepts and never answers', () => {
  it.each([
    ['exec', ['exec', '-'], ndjson([recordLicence(licenceNumberFor(1))])],
    ['export', ['export'], ''],
    ['audit', ['audit'], ''],
    ['import', ['import', '-'], ''],
    ['serve', ['serve', '--data', files.path('data')], ''],
  ] as const)('%s ends with exit 3 naming the connect limit', async (_verb, args, stdin) => {
    const run = await runInProcess([...args, '--store', url()], stdin, { PORT: '0' })
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain('could not connect within 1000 ms (connect_timeout)')
    // The password stays out of what is printed.
    expect(run.stderr).not.toContain('secret')
  })

  it('without a limit in the URL, the default one (5 s) applies', async () => {
    const run = await runInProcess(['export', '--store', url('')])
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain('could not connect within 5000 ms (connect_timeout)')
  })

  it('a limit that is not a positive whole number is a bad store URL (exit 2), naming the parameter', async () => {
    // Past 2,147,483 s a timer would fire at once (Node's timers hold 2^31 − 1 ms).
    for (const query of [
      '?connect_timeout=0',
      '?statement_timeout=soon',
      '?query_timeout=-1',
      '?connect_timeout=2147484',
      '?query_timeout=2147483648',
    ]) {
      const run = await runInProcess(['export', '--store', url(query)])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/(connect|statement|query)_timeout must be a positive whole number/)
    }
  })
})
