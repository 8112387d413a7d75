// A writer process SIGKILLed in the middle of batched decisions on PostgreSQL (batched-decisions.ts):
// 8 concurrent clients on 8 streams share transactions, and the process dies at a random moment,
// mid-batch as often as not. Afterwards: every acknowledged decision is in the store exactly once,
// at the versions it was acknowledged with; no decision is there in part (both its events or
// neither); versions are contiguous and every stream's hash chain is whole.
import { spawn } from 'node:child_process'
import { type StoredEvent, verifyChain } from '@elicence/domain'
import { postgresEventStore } from '@elicence/postgres'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { assertBuildIsFresh } from './fixtures/run-cli.js'

const url = inject('postgresUrl')
const writer = new URL('./fixtures/batch-writer.fixture.mjs', import.meta.url)

beforeAll(() => assertBuildIsFresh())

interface Acknowledged {
  readonly commandId: string
  readonly streamId: string
  readonly versions: ReadonlyArray<number>
}

/** Runs the writer until it has acknowledged `killAfter` decisions, then SIGKILLs it. */
const runAndKill = (schema: string, killAfter: number): Promise<ReadonlyArray<Acknowledged>> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer.pathname, url, schema, '8', '40'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const acknowledged: Acknowledged[] = []
    let pending = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) acknowledged.push(JSON.parse(line) as Acknowledged)
      if (acknowledged.length >= killAfter) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('close', (code, signal) =>
      signal === 'SIGKILL' || code === 0
        ? resolve(acknowledged)
        : reject(new Error(`writer exited ${code}: ${stderr}`)),
    )
  })

const wholeLog = async (schema: string): Promise<ReadonlyArray<StoredEvent>> => {
  const store = postgresEventStore({ connectionString: url, schema })
  const events: StoredEvent[] = []
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: 1000 })
    if (E.isLeft(page)) throw new Error(page.left.message)
    events.push(...page.right.events)
    if (page.right.events.length === 0) break
    after = page.right.lastPosition
  }
  await store.close()
  return events
}

describe('a writer SIGKILLed mid-batch on PostgreSQL', () => {
  for (const round of [0, 1, 2]) {
    it(`round ${round + 1}: keeps every acknowledged decision once and no decision in part`, async () => {
      const schema = `batch_kill_${round}_${Date.now()}`
      const killAfter = 5 + Math.floor(Math.random() * 150)
      const acknowledged = await runAndKill(schema, killAfter)
      const events = await wholeLog(schema)

      const byCommand = new Map<string, StoredEvent[]>()
      for (const event of events) {
        const of = byCommand.get(event.metadata.commandId) ?? []
        of.push(event)
        byCommand.set(event.metadata.commandId, of)
      }
      for (const ack of acknowledged) {
        expect(
          byCommand.get(ack.commandId)?.map((event) => event.version),
          ack.commandId,
        ).toEqual(ack.versions)
      }
      for (const [commandId, of] of byCommand) {
        expect(
          of.map((event) => event.type),
          commandId,
        ).toEqual(['First', 'Second'])
      }
      const streams = new Map<string, StoredEvent[]>()
      for (const event of events) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event])
      for (const [streamId, of] of streams) {
        expect(
          of.map((event) => event.version),
          streamId,
        ).toEqual(of.map((_, index) => index))
        expect(verifyChain(of), streamId).toEqual([])
      }
      expect(events.length).toBeGreaterThanOrEqual(2 * acknowledged.length)
    })
  }
})
