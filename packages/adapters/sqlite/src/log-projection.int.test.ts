// The transparency log's projection killed for real (SIGKILL) part-way through, in a process of
// its own, then resumed: its tree ends with every event exactly once — the root of RFC 9162's
// definition over the events in global order, and exactly the perfect subtrees of that many leaves.
import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leafHash, logCollections, rootOfLeafHashes, transparencyLog } from '@elicence/projections'
import { historyScriptArbitrary, runHistoryScript } from '@elicence/projections/testing'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteReadModelStore } from './read-models.js'
import { sqliteEventStore } from './sqlite-store.js'

const directory = mkdtempSync(join(tmpdir(), 'elicence-log-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
const hooks = new URL('./typescript-hooks.fixture.mjs', import.meta.url).href
const registerHooks = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)})`,
)}`
const followerScript = fileURLToPath(new URL('./log-follower.fixture.ts', import.meta.url))

/** Starts the follower and kills it (SIGKILL) once it reports its `killAt`-th commit. */
const runAndKill = (eventsPath: string, readModelsPath: string, killAt: number) =>
  new Promise<void>((resolve, reject) => {
    const child = fork(followerScript, [eventsPath, readModelsPath, 'log'], {
      execArgv: ['--conditions=@elicence/source', '--import', registerHooks, '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let commits = 0
    child.on('message', (message: { size?: number }) => {
      if (message.size !== undefined && ++commits >= killAt) child.kill('SIGKILL')
    })
    child.once('exit', (code, signal) =>
      code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`follower exited with ${code}`)),
    )
  })

/** How many perfect subtrees a tree of n leaves has: n leaves, n/2 pairs, … */
const perfectSubtreeCount = (n: number): number => {
  let count = 0
  for (let width = 1; width <= n; width *= 2) count += Math.floor(n / width)
  return count
}

describe('the transparency log with its follower process killed mid-way', () => {
  it('resumes to the tree of every event exactly once', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ minSteps: 5, maxSteps: 20 }),
        fc.integer({ min: 1, max: 10 }),
        async (script, killAt) => {
          run++
          const eventsPath = join(directory, `events-${run}.db`)
          const readModelsPath = join(directory, `log-${run}.db`)
          const events = sqliteEventStore({ path: eventsPath, synchronous: 'normal' })
          const { events: all } = await runHistoryScript(script, { store: events })
          await runAndKill(eventsPath, readModelsPath, killAt)

          const readModels = sqliteReadModelStore({ path: readModelsPath })
          const resumed = await transparencyLog({
            events,
            readModels,
            sha256,
            projection: 'log',
            batchSize: 3,
          }).catchUp()
          if (E.isLeft(resumed)) throw new Error(resumed.left.message)
          expect(resumed.right.size).toBe(all.length)
          expect(resumed.right.root).toEqual(
            rootOfLeafHashes(
              sha256,
              all.map((event) => leafHash(sha256, new Uint8Array(Buffer.from(event.metadata.hash, 'hex')))),
            ),
          )
          const nodes = await readModels.list('log', logCollections.nodes)
          expect(E.isRight(nodes) && nodes.right.length).toBe(perfectSubtreeCount(all.length))
          await readModels.close()
          await events.close()
        },
      ),
      { numRuns: 4 },
    )
  }, 240_000)
})
