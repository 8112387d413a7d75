import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { projectionRunner } from '@elicence/projections'
import {
  dumpReadModels,
  historyScriptArbitrary,
  readModelStoreConformance,
  runHistoryScript,
  transparencyLogConformance,
} from '@elicence/projections/testing'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteReadModelStore } from './read-models.js'
import { sqliteEventStore } from './sqlite-store.js'

const directory = mkdtempSync(join(tmpdir(), 'elicence-read-models-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

// One file for the whole suite: every test uses projections of its own, as real deployments share one file.
readModelStoreConformance('sqlite', async () =>
  sqliteReadModelStore({ path: join(directory, 'read-models.db'), synchronous: 'normal' }),
)

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())

// The transparency log keeps its nodes and checkpoints in the same tables, beside the views.
transparencyLogConformance(
  'sqlite',
  async () => sqliteReadModelStore({ path: join(directory, 'read-models.db'), synchronous: 'normal' }),
  sha256,
)

// The runner process runs this workspace's TypeScript sources, like the tests, through module hooks.
const hooks = new URL('./typescript-hooks.fixture.mjs', import.meta.url).href
const registerHooks = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)})`,
)}`
const runnerScript = fileURLToPath(new URL('./read-models-runner.fixture.ts', import.meta.url))

/** Starts the runner process and kills it (SIGKILL) once it reports its `killAt`-th commit. */
const runAndKill = (eventsPath: string, readModelsPath: string, projection: string, killAt: number) =>
  new Promise<void>((resolve, reject) => {
    const child = fork(runnerScript, [eventsPath, readModelsPath, projection], {
      execArgv: ['--conditions=@elicence/source', '--import', registerHooks, '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let commits = 0
    child.on('message', (message: { position?: number; done?: boolean }) => {
      if (message.position !== undefined && ++commits >= killAt) child.kill('SIGKILL')
    })
    child.once('exit', (code, signal) =>
      code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`runner exited with ${code}`)),
    )
  })

describe('sqliteReadModelStore with a runner process killed mid-way', () => {
  it('ends, after a restart, equal to a rebuild', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxSteps: 30 }),
        fc.integer({ min: 1, max: 12 }),
        async (script, killAt) => {
          run++
          const eventsPath = join(directory, `events-${run}.db`)
          const readModelsPath = join(directory, `killed-${run}.db`)
          const events = sqliteEventStore({ path: eventsPath, synchronous: 'normal' })
          await runHistoryScript(script, { store: events })
          await runAndKill(eventsPath, readModelsPath, 'killed', killAt)

          const readModels = sqliteReadModelStore({ path: readModelsPath })
          await projectionRunner({ events, readModels, projection: 'killed', batchSize: 3 }).catchUp()
          await projectionRunner({ events, readModels, projection: 'rebuilt', batchSize: 1000 }).catchUp()
          expect(await dumpReadModels(readModels, 'killed')).toEqual(
            await dumpReadModels(readModels, 'rebuilt'),
          )
          await readModels.close()
          await events.close()
        },
      ),
      { numRuns: 10 },
    )
  }, 240_000) // ten runs each fork a process that compiles the TypeScript sources as it loads them
})
