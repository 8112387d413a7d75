// Faults as tests on SQLite (issue 9): real `elicence exec` writers on one file, one SIGKILLed at a
// random point in each round; see fixtures/faults.ts for what is checked afterwards.
import { afterAll, beforeAll, describe, it } from 'vitest'
import { faultRound } from './fixtures/faults.js'
import { assertBuildIsFresh } from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-faults-')
afterAll(files.remove)
beforeAll(assertBuildIsFresh)

describe('faults on SQLite', () => {
  for (const round of [0, 1]) {
    it(`round ${round + 1}: a writer SIGKILLed under the load of three loses and duplicates nothing`, async () => {
      await faultRound({
        url: `sqlite:${files.path(`faults-${round}.db`)}`,
        round,
        writers: 3,
        killWriter: true,
      })
    })
  }
})
