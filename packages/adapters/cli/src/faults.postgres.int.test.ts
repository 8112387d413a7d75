// Faults as tests on PostgreSQL (issue 9): real `elicence exec` writers, one SIGKILLed at a random
// point in each round, and once the server itself SIGKILLed mid-load and restarted through crash
// recovery. On a throwaway server of its own (durable defaults), so killing it harms no other test;
// see fixtures/faults.ts for what is checked afterwards.
import { startTestPostgres, type TestPostgres } from '@elicence/postgres/testing'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { faultRound } from './fixtures/faults.js'
import { assertBuildIsFresh } from './fixtures/run-cli.js'

let server: TestPostgres
beforeAll(async () => {
  assertBuildIsFresh()
  server = await startTestPostgres()
})
afterAll(async () => {
  await server?.stop()
})

describe('faults on PostgreSQL', () => {
  for (const round of [0, 1]) {
    it(`round ${round + 1}: a writer SIGKILLed under the load of three loses and duplicates nothing`, async () => {
      await faultRound({ url: server.url, round, writers: 3, killWriter: true })
    })
  }
  it('the server SIGKILLed under the load of three writers and restarted: nothing acknowledged is lost', async ({
    skip,
  }) => {
    const { crashAndRestart } = server
    if (crashAndRestart === undefined) return skip('POSTGRES_URL names a server this test must not kill')
    await faultRound({
      url: server.url,
      round: 2,
      writers: 3,
      killWriter: false,
      midway: () => crashAndRestart(),
    })
  })
})
