import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { citizenIdCheckCharacter, streamIdFor, verifyChain } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import type { WriterMessage, WriterOutcome } from './concurrent-writer.fixture.js'
import { sqliteEventStore } from './sqlite-store.js'

// The writers run this workspace's TypeScript sources, like the tests, through module hooks.
const hooks = new URL('./typescript-hooks.fixture.mjs', import.meta.url).href
const registerHooks = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)})`,
)}`
const writerScript = fileURLToPath(new URL('./concurrent-writer.fixture.ts', import.meta.url))

const dir = mkdtempSync(join(tmpdir(), 'elicence-two-processes-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Command {
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
  readonly metadata: { readonly commandId: string; readonly at: string; readonly actor: object }
}

const first17 = '11010519491231002'
const licenceNumber = `${first17}${citizenIdCheckCharacter(first17)}`
const authority = { code: '京A', name: '北京市公安局公安交通管理局' }
const registry = { role: 'registry', id: 'registry-bj' }

const recordLicence: Command = {
  type: 'RecordLicence',
  data: {
    licenceNumber,
    holder: { accountId: 'acct-1', name: '张三' },
    classes: ['C1'],
    validFrom: '2020-01-01',
    validUntil: '2030-01-01',
    authority,
    statuses: ['A'],
    photoOnFile: true,
  },
  metadata: { commandId: randomUUID(), at: '2026-03-02T09:00:00+08:00', actor: registry },
}

/** A renewal is always accepted, so each one is either appended or loses a race: nothing in between. */
const renewal = (day: number): Command => {
  const validUntil = new Date(Date.UTC(2031, 0, 1 + day)).toISOString().slice(0, 10)
  return {
    type: 'RenewLicence',
    data: { licenceNumber, classes: ['C1'], validFrom: '2020-01-01', validUntil, authority },
    metadata: { commandId: randomUUID(), at: '2026-03-11T09:00:00+08:00', actor: registry },
  }
}

const startWriter = (path: string, commands: ReadonlyArray<Command>) => {
  const child = fork(writerScript, [path], {
    execArgv: ['--conditions=@elicence/source', '--import', registerHooks, '--no-warnings'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // A writer that dies early fails the test at once rather than leaving it waiting. 'close' comes
  // after the IPC channel has delivered every message, so a report is never taken for a crash.
  const exited = new Promise<never>((_, reject) => {
    child.once('close', (code) => reject(new Error(`writer process exited with ${code} before reporting`)))
  })
  exited.catch(() => undefined)
  const ready = Promise.race([
    new Promise<void>((resolve) => {
      child.on('message', (message: WriterMessage) => {
        if (message.kind === 'ready') resolve()
      })
    }),
    exited,
  ])
  const done = Promise.race([
    new Promise<ReadonlyArray<WriterOutcome>>((resolve) => {
      child.on('message', (message: WriterMessage) => {
        if (message.kind === 'done') resolve(message.outcomes)
      })
    }),
    exited,
  ])
  child.send({ commands })
  return { ready, done, go: () => child.send('go') }
}

describe('sqliteEventStore: two processes writing one licence at once', () => {
  it('lose nothing and duplicate nothing: each command is appended once, none refused for a conflict', async () => {
    const path = join(dir, 'shared.db')
    const shared = Array.from({ length: 20 }, (_, index) => renewal(index))
    const own = [0, 1].map((writer) =>
      Array.from({ length: 80 }, (_, index) => renewal(100 + 100 * writer + index)),
    )
    // Both send the RecordLicence and the shared renewals (the same commandIds), interleaved with their own.
    const plans = own.map((commands) => [
      recordLicence,
      ...commands.flatMap((command, index) => {
        const also = index % 4 === 0 ? shared[index / 4] : undefined
        return also === undefined ? [command] : [also, command]
      }),
    ])
    const writers = plans.map((commands) => startWriter(path, commands))
    await Promise.all(writers.map((writer) => writer.ready))
    for (const writer of writers) writer.go()
    const outcomes = await Promise.all(writers.map((writer) => writer.done))

    const store = sqliteEventStore({ path })
    const read = await store.readStream(streamIdFor(licenceNumber))
    const log = await store.readAll({ after: 0, limit: 10_000 })
    await store.close()
    if (E.isLeft(read) || E.isLeft(log)) throw new Error('cannot read the store back')
    const stream = read.right.events

    const sharedIds = new Set([recordLicence, ...shared].map((command) => command.metadata.commandId))
    const byCommand = new Map<string, WriterOutcome[]>()
    for (const outcome of outcomes.flat()) {
      byCommand.set(outcome.commandId, [...(byCommand.get(outcome.commandId) ?? []), outcome])
      // Writers decide under the write lock: they queue, and none loses a race (DESIGN §4).
      const allowed = sharedIds.has(outcome.commandId) ? ['appended', 'replayed'] : ['appended']
      expect(allowed).toContain(outcome.outcome)
    }
    for (const [commandId, reports] of byCommand) {
      const appended = reports.filter((report) => report.outcome === 'appended')
      const inStream = stream.filter((event) => event.metadata.commandId === commandId)
      expect(appended.length).toBeLessThanOrEqual(1)
      expect(inStream.map((event) => event.version)).toEqual(appended[0]?.versions ?? [])
      // A command another process appended is only ever reported as replayed or lost race, never twice.
      if (reports.some((report) => report.outcome === 'replayed')) expect(appended).toHaveLength(1)
    }
    expect(
      byCommand.get(recordLicence.metadata.commandId)?.filter((r) => r.outcome === 'appended'),
    ).toHaveLength(1)

    expect(stream.map((event) => event.version)).toEqual(stream.map((_, index) => index))
    expect(stream).toHaveLength(
      [...byCommand.values()].filter((r) => r.some((x) => x.outcome === 'appended')).length,
    )
    expect(await verifyChain(stream)).toEqual([])
    expect(log.right.events).toEqual(stream)
  })
})
