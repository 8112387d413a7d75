// `elicence witness` as an outside tester drives it, through the built binary: two runs on one
// state folder at once (two forks of one size: one must be refused, or the witness cosigned a split
// view), a lock left by a run killed with SIGKILL, a relay that fills a checkpoint with signature
// lines, proofs from the wrong size, and a checkpoint signed for another origin than its key's name.
// A proof file that is a FIFO holds a run where it reads its proof — inside the lock, after reading
// the state — for as long as the test wishes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { constants, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  interleavedLifecycles,
  licenceLifecycle,
  licenceNumberFor,
  ndjson,
} from './fixtures/licence-commands.js'
import {
  assertBuildIsFresh,
  builtBinary,
  type CliRun,
  outcomeOf,
  runInProcess,
  runProcess,
} from './fixtures/run-cli.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-witness-')
afterAll(files.remove)

const origin = 'licences.example.cn/elicence/log'
const keys = files.path('keys')
const witnessKeys = files.path('witness')
const base = files.path('base.db')
const checkpoint6 = files.path('checkpoint-6.txt')
/** Two forks of the six-event log, each grown by another licence to 9 events. */
const forks = {
  a: { store: files.path('fork-a.db'), checkpoint: files.path('a-9.txt'), proof: files.path('a-6-9.json') },
  b: { store: files.path('fork-b.db'), checkpoint: files.path('b-9.txt'), proof: files.path('b-6-9.json') },
} as const

const witnessArgs = (state: string, checkpointFile: string, ...extra: ReadonlyArray<string>) => [
  'witness',
  '--state',
  state,
  '--log-key',
  `${keys}/log.vkey`,
  '--key',
  `${witnessKeys}/witness.key`,
  checkpointFile,
  ...extra,
]

const ok = (run: CliRun): CliRun => {
  expect(run.exitCode, run.stderr).toBe(0)
  return run
}

const signCheckpoint = async (store: string, to: string, ...extra: ReadonlyArray<string>) =>
  writeFileSync(
    to,
    ok(await runInProcess(['log', 'checkpoint', '--store', `sqlite:${store}`, '--keys', keys, ...extra]))
      .stdout,
  )

const prove = async (store: string, from: number, to: number, file: string) =>
  writeFileSync(
    file,
    ok(
      await runInProcess([
        'log',
        'prove',
        '--store',
        `sqlite:${store}`,
        '--from',
        String(from),
        '--to',
        String(to),
      ]),
    ).stdout,
  )

/** A state folder that has accepted the six-event checkpoint. */
const stateAt6 = async (name: string): Promise<string> => {
  const state = files.path(name)
  ok(await runProcess(witnessArgs(state, checkpoint6)))
  return state
}

const fifo = (name: string): string => {
  const path = files.path(name)
  expect(spawnSync('mkfifo', [path]).status).toBe(0)
  return path
}

/**
 * Feeds `text` to the FIFO once a reader has opened it and `release` has come; `opened` resolves
 * when the reader opened it. `unblock` lets a writer still waiting for a reader go (the run ended
 * before reading its proof), so that no thread is left waiting.
 */
const feeder = (path: string, text: string, release: Promise<void>) => {
  let markOpened = () => {}
  const opened = new Promise<void>((resolve) => {
    markOpened = resolve
  })
  let wasOpened = false
  const done = (async () => {
    const handle = await open(path, 'w')
    wasOpened = true
    markOpened()
    await release
    await handle.writeFile(text).catch(() => undefined)
    await handle.close()
  })()
  const unblock = async () => {
    if (wasOpened) return
    const reader = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
    await reader.close()
    await done.catch(() => undefined)
  }
  return { opened, done, unblock, wasOpened: () => wasOpened }
}

/** The built binary as a child process we can kill, and its outcome. */
const started = (args: ReadonlyArray<string>): { child: ChildProcess; outcome: Promise<CliRun> } => {
  const child = spawn(process.execPath, [builtBinary, ...args], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { child, outcome: outcomeOf(child) }
}

const locksIn = (state: string) => readdirSync(state).filter((name) => name.endsWith('.lock'))

beforeAll(async () => {
  assertBuildIsFresh()
  ok(await runInProcess(['exec', '--store', `sqlite:${base}`], ndjson(interleavedLifecycles(2))))
  ok(await runInProcess(['keys', '--out', keys, '--origin', origin]))
  ok(await runInProcess(['keys', '--witness', 'witness.example.org/w1', '--out', witnessKeys]))
  await signCheckpoint(base, checkpoint6)
  for (const [fork, licence] of [
    [forks.a, 8],
    [forks.b, 9],
  ] as const) {
    copyFileSync(base, fork.store)
    ok(
      await runInProcess(
        ['exec', '--store', `sqlite:${fork.store}`],
        ndjson(licenceLifecycle(licenceNumberFor(licence))),
      ),
    )
    await signCheckpoint(fork.store, fork.checkpoint)
    await prove(fork.store, 6, 9, fork.proof)
  }
  // Each fork alone extends what the witness saw: only the other's cosignature may stop it.
  for (const fork of [forks.a, forks.b])
    ok(
      await runProcess(
        witnessArgs(
          await stateAt6(`alone-${fork === forks.a ? 'a' : 'b'}`),
          fork.checkpoint,
          '--proof',
          fork.proof,
        ),
      ),
    )
}, 120_000)

describe('two witness runs on one state folder', () => {
  it('never both cosign: given forks of one size at once, the second sees the first and refuses (exit 1)', async () => {
    const state = await stateAt6('state-race')
    const pipes = { a: fifo('race-a.fifo'), b: fifo('race-b.fifo') }
    // Both runs start together; each proof is fed once both runs have reached their proofs, or 3 s
    // after the first did: a run that cannot get there (it waits for the lock) does not hold the other.
    const runs = (['a', 'b'] as const).map((fork) =>
      runProcess(witnessArgs(state, forks[fork].checkpoint, '--proof', pipes[fork])),
    )
    let releaseAll = () => {}
    const release = new Promise<void>((resolve) => {
      releaseAll = resolve
    })
    const feeders = (['a', 'b'] as const).map((fork) =>
      feeder(pipes[fork], readFileSync(forks[fork].proof, 'utf8'), release),
    )
    void Promise.race(feeders.map((feed) => feed.opened)).then(() => setTimeout(releaseAll, 3_000))
    void Promise.all(feeders.map((feed) => feed.opened)).then(releaseAll)
    const outcomes = await Promise.all(runs)
    releaseAll()
    for (const feed of feeders) await feed.unblock()

    expect(outcomes.map((run) => run.exitCode).sort()).toEqual([0, 1])
    const cosigned = outcomes.findIndex((run) => run.exitCode === 0)
    const refused = outcomes[1 - cosigned]
    expect(refused?.stderr).toMatch(
      /refused: the checkpoint has the 9 leaves this witness saw, with another root/,
    )
    // The state is the cosigned fork's, and no lock or temporary file is left.
    const kept = readdirSync(state)
    expect(kept).toEqual(['licences.example.cn_2felicence_2flog.checkpoint'])
    const winner = readFileSync(forks[cosigned === 0 ? 'a' : 'b'].checkpoint, 'utf8')
    expect(readFileSync(`${state}/${kept[0]}`, 'utf8')).toBe(winner)
  }, 60_000)

  it('a lock left by a run killed with SIGKILL does not block the next run', async () => {
    const state = await stateAt6('state-killed')
    const pipe = fifo('killed.fifo')
    const holder = started(witnessArgs(state, forks.a.checkpoint, '--proof', pipe))
    // Once it opens its proof, the run holds the lock; killed there, it leaves the lock behind.
    let afterKill = () => {}
    const feed = feeder(
      pipe,
      '',
      new Promise((resolve) => {
        afterKill = resolve
      }),
    )
    await feed.opened
    expect(locksIn(state)).toHaveLength(1)
    holder.child.kill('SIGKILL')
    expect((await holder.outcome).exitCode).toBeNull()
    afterKill()
    await feed.done
    expect(locksIn(state)).toHaveLength(1)

    const began = performance.now()
    const next = await runProcess(witnessArgs(state, forks.b.checkpoint, '--proof', forks.b.proof))
    expect(next.exitCode, next.stderr).toBe(0)
    // Taken over at once, not after waiting out the live holder's bound (10 s).
    expect(performance.now() - began).toBeLessThan(5_000)
    expect(locksIn(state)).toEqual([])
  }, 60_000)

  it('a lock held by a running witness is waited for, then refused naming its process (exit 1)', async () => {
    const state = await stateAt6('state-held')
    const pipe = fifo('held.fifo')
    const holder = started(witnessArgs(state, forks.a.checkpoint, '--proof', pipe))
    let releaseHolder = () => {}
    const feed = feeder(
      pipe,
      readFileSync(forks.a.proof, 'utf8'),
      new Promise((resolve) => {
        releaseHolder = resolve
      }),
    )
    await feed.opened
    const waiting = await runProcess(witnessArgs(state, forks.b.checkpoint, '--proof', forks.b.proof))
    expect(waiting.exitCode).toBe(1)
    expect(waiting.stderr).toContain(`refused: the state is in use by process ${holder.child.pid}`)
    expect(waiting.stderr).toContain('still after 10 s')
    releaseHolder()
    await feed.done
    expect((await holder.outcome).exitCode).toBe(0)
  }, 60_000)
})

describe('signature lines of unknown keys', () => {
  it('are neither kept nor passed on: 99 junk lines leave a state and a note any later run reads', async () => {
    const junk = Array.from({ length: 99 }, (_, k) => `— junk.example/k${k} AAAAAAAAAAAA\n`).join('')
    const flooded = files.path('flooded.txt')
    const original = readFileSync(checkpoint6, 'utf8')
    writeFileSync(flooded, `${original}${junk}`)
    const state = files.path('state-flooded')
    const run = ok(await runProcess(witnessArgs(state, flooded)))
    // The body, the log's signature and this witness's: nothing of the relay's.
    expect(run.stdout.startsWith(original)).toBe(true)
    expect(run.stdout.slice(original.length)).toMatch(/^— witness\.example\.org\/w1 \S+\n$/)
    expect(readFileSync(`${state}/licences.example.cn_2felicence_2flog.checkpoint`, 'utf8')).toBe(original)
    // And the next run reads that state.
    ok(await runProcess(witnessArgs(state, forks.a.checkpoint, '--proof', forks.a.proof)))
  })

  it('in a state an earlier version kept (101 lines) are dropped as it is read', async () => {
    const state = files.path('state-earlier-flood')
    const first = ok(await runProcess(witnessArgs(state, checkpoint6)))
    const junk = Array.from({ length: 99 }, (_, k) => `— junk.example/k${k} AAAAAAAAAAAA\n`).join('')
    const [body = '', ...signatures] = first.stdout.split('\n\n')
    writeFileSync(
      `${state}/licences.example.cn_2felicence_2flog.checkpoint`,
      `${body}\n\n${junk}${signatures.join('')}`,
    )
    ok(await runProcess(witnessArgs(state, forks.a.checkpoint, '--proof', forks.a.proof)))
  })
})

describe('a proof that does not show the tree grew from what the witness saw', () => {
  it('from another size, or an inclusion proof: said so, with how to get the right one, not "forked"', async () => {
    const state = await stateAt6('state-wrong-proof')
    const fromFive = files.path('a-5-9.json')
    await prove(forks.a.store, 5, 9, fromFive)
    const wrongSize = await runProcess(witnessArgs(state, forks.a.checkpoint, '--proof', fromFive))
    expect(wrongSize.exitCode).toBe(1)
    expect(wrongSize.stderr).toContain('the proof does not show that the tree of 9 extends the tree of 6')
    expect(wrongSize.stderr).toContain('It may be a proof from another size than 6')
    expect(wrongSize.stderr).toContain(
      'elicence log prove --from 6 --to 9, or GET /log/proof/consistency?from=6&to=9',
    )
    expect(wrongSize.stderr).not.toContain('forked')

    const inclusion = files.path('inclusion.json')
    writeFileSync(
      inclusion,
      ok(
        await runInProcess([
          'log',
          'prove',
          '--store',
          `sqlite:${forks.a.store}`,
          '--index',
          '2',
          '--size',
          '9',
        ]),
      ).stdout,
    )
    // A file that holds no consistency proof is bad input (exit 2), saying what is wrong with it.
    const notConsistency = await runProcess(witnessArgs(state, forks.a.checkpoint, '--proof', inclusion))
    expect(notConsistency.exitCode).toBe(2)
    expect(notConsistency.stderr).toContain('an inclusion proof (it has a leafIndex)')
    expect(notConsistency.stderr).not.toContain('forked')
    const proof = JSON.parse(readFileSync(forks.a.proof, 'utf8'))
    const malformed: ReadonlyArray<[string, string, string]> = [
      ['empty.json', '', 'the proof: not JSON'],
      [
        'size-text.json',
        JSON.stringify({ ...proof, treeSize: '9' }),
        `the proof's treeSize "9" is not a tree size`,
      ],
      ['bad-hash.json', JSON.stringify({ ...proof, hashes: ['!!'] }), 'a hash of the proof is not base64'],
    ]
    for (const [name, text, said] of malformed) {
      const file = files.path(name)
      writeFileSync(file, text)
      const run = await runProcess(witnessArgs(state, forks.a.checkpoint, '--proof', file))
      expect([name, run.exitCode]).toEqual([name, 2])
      expect(run.stderr).toContain(said)
    }
    // The right proof is then accepted: the log was honest.
    ok(await runProcess(witnessArgs(state, forks.a.checkpoint, '--proof', forks.a.proof)))
  })
})

describe('bytes no note may hold', () => {
  it('invalid UTF-8 or a control character is refused by the witness and reported by the audit', async () => {
    const original = readFileSync(checkpoint6)
    const cases = {
      ff: Buffer.concat([
        original,
        Buffer.from('— junk.example/k '),
        Buffer.from([0xff]),
        Buffer.from('AAAA\n'),
      ]),
      control: Buffer.concat([original, Buffer.from('— junk.example/\u0001k AAAAAAAAAAAA\n')]),
    }
    const said = { ff: 'not valid UTF-8', control: 'line 6 has a control character (U+0001)' }
    for (const [name, bytes] of Object.entries(cases) as Array<[keyof typeof cases, Buffer]>) {
      const file = files.path(`${name}.txt`)
      writeFileSync(file, bytes)
      const state = files.path(`state-${name}`)
      const witnessed = await runProcess(witnessArgs(state, file))
      expect(witnessed.exitCode).toBe(1)
      expect(witnessed.stderr).toContain(said[name])
      expect(existsSync(state)).toBe(false)
      const audited = await runInProcess([
        'audit',
        '--store',
        `sqlite:${base}`,
        '--json',
        '--checkpoint',
        file,
        '--log-key',
        `${keys}/log.vkey`,
      ])
      expect(audited.exitCode).toBe(1)
      const [anomaly] = (
        JSON.parse(audited.stdout) as { anomalies: Array<{ kind: string; message: string }> }
      ).anomalies
      expect(anomaly?.kind).toBe('checkpoint-invalid')
      expect(anomaly?.message).toContain(said[name])
    }
  })
})

describe('a checkpoint signed for another origin than the log key’s name', () => {
  it('is refused saying so, and checked with --origin by the witness and the audit', async () => {
    const other = files.path('other-origin.txt')
    await signCheckpoint(base, other, '--origin', 'mirror.example.cn/log')
    const state = files.path('state-other-origin')
    const refused = await runProcess(witnessArgs(state, other))
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain('--origin ORIGIN names the origin to expect')
    ok(await runProcess(witnessArgs(state, other, '--origin', 'mirror.example.cn/log')))
    expect(readdirSync(state)).toEqual(['mirror.example.cn_2flog.checkpoint'])
    const audit = (...extra: ReadonlyArray<string>) =>
      runInProcess([
        'audit',
        '--store',
        `sqlite:${base}`,
        '--checkpoint',
        other,
        '--log-key',
        `${keys}/log.vkey`,
        ...extra,
      ])
    expect((await audit()).exitCode).toBe(1)
    ok(await audit('--origin', 'mirror.example.cn/log'))
    const bad = await audit('--origin', 'mirror.example.cn/\nlog')
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('an origin is one line')
  })
})

describe('audit --witness-key', () => {
  it('counts a cosignature for the key that made it (its name and key ID), not for another of that name', async () => {
    const namesake = files.path('namesake')
    ok(await runInProcess(['keys', '--witness', 'witness.example.org/w1', '--out', namesake]))
    const cosigned = files.path('cosigned-6.txt')
    writeFileSync(cosigned, ok(await runProcess(witnessArgs(files.path('state-audit'), checkpoint6))).stdout)
    const audit = (...witnessKeyFiles: ReadonlyArray<string>) =>
      runInProcess([
        'audit',
        '--store',
        `sqlite:${base}`,
        '--json',
        '--checkpoint',
        cosigned,
        '--log-key',
        `${keys}/log.vkey`,
        ...witnessKeyFiles.flatMap((file) => ['--witness-key', file]),
      ])
    ok(await audit(`${witnessKeys}/witness.vkey`))
    const both = await audit(`${witnessKeys}/witness.vkey`, `${namesake}/witness.vkey`)
    expect(both.exitCode).toBe(1)
    const namesakeKey = readFileSync(`${namesake}/witness.vkey`, 'utf8').split('+').slice(0, 2).join('+')
    expect((JSON.parse(both.stdout) as { anomalies: Array<{ message: string }> }).anomalies).toEqual([
      expect.objectContaining({
        kind: 'checkpoint-invalid',
        message: `${cosigned}: no cosignature of the witness key ${namesakeKey}`,
      }),
    ])
  })
})
