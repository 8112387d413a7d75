// The served document, as an API client uses it: `openapi-typescript` generates the client's types
// from `GET /openapi.json` of a real server, `tsc` type-checks a correct command of every type
// against them and refuses each wrong one, and the server accepts the first and refuses the others.
// Then `redocly lint` (its recommended rules, no network) finds no error in the same document.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { commandTypes } from '@elicence/domain'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  licenceNumber,
  nextCommandId,
  startTestServer,
  type TestServer,
  testTokens,
} from './test-support/test-server.js'

const run = promisify(execFile)
/** A package's command-line entry point, run with this Node. */
const bin = (entry: string) => fileURLToPath(new URL(`../node_modules/${entry}`, import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/lib/tsc.js')
// Redocly CLI would report usage and look for updates over the network: neither, here.
const offline = {
  ...process.env,
  REDOCLY_TELEMETRY: 'off',
  REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  NO_COLOR: '1',
}

let running: TestServer
let directory: string

beforeAll(async () => {
  running = await startTestServer()
  directory = await mkdtemp(join(tmpdir(), 'elicence-openapi-'))
  const served = await fetch(`${running.api.baseUrl}/openapi.json`)
  expect(served.status).toBe(200)
  await writeFile(join(directory, 'openapi.json'), await served.text())
})
afterAll(async () => {
  await running.app.close()
  if (process.env.KEEP_OPENAPI_DIR === undefined) await rm(directory, { recursive: true, force: true })
  else console.log(directory)
})

const authority = { code: '粤A', name: '广东省广州市公安局交通警察支队' }
type Sender = keyof typeof testTokens

/** One correct command of every type, in an order the rules accept, each with who sends it and when. */
const scenario: ReadonlyArray<{ readonly sender: Sender; readonly now?: string; readonly body: object }> = [
  {
    sender: 'registry',
    body: {
      type: 'RecordLicence',
      data: {
        licenceNumber,
        holder: { accountId: 'acct-holder', name: '张三' },
        classes: ['C1'],
        validFrom: '2020-01-01',
        validUntil: '2030-01-01',
        authority,
        statuses: ['A'],
        photoOnFile: false,
      },
    },
  },
  {
    sender: 'holder',
    body: {
      type: 'ApplyForELicence',
      data: {
        licenceNumber,
        applicationId: 'app-1',
        declaredValidFrom: '2020-01-01',
        faceCheck: { passed: true },
      },
    },
  },
  {
    sender: 'reviewer',
    now: '2026-10-16T10:00:00+08:00',
    body: { type: 'ReviewApplication', data: { licenceNumber, applicationId: 'app-1' } },
  },
  {
    sender: 'holder',
    body: {
      type: 'SubmitPhoto',
      data: {
        licenceNumber,
        applicationId: 'app-1',
        photo: { id: 'photo-1', capturedOn: '2026-10-10', defects: [] },
      },
    },
  },
  {
    sender: 'reviewer',
    body: {
      type: 'RejectPhoto',
      data: { licenceNumber, applicationId: 'app-1', reasons: ['background-not-white'] },
    },
  },
  {
    sender: 'holder',
    body: { type: 'WithdrawApplication', data: { licenceNumber, applicationId: 'app-1' } },
  },
  { sender: 'registry', body: { type: 'ChangeLicenceStatus', data: { licenceNumber, statuses: ['H'] } } },
  {
    sender: 'registry',
    body: {
      type: 'RenewLicence',
      data: {
        licenceNumber,
        classes: ['C1', 'C2'],
        validFrom: '2026-10-16',
        validUntil: '2032-10-16',
        authority,
      },
    },
  },
]

/** Wrong commands a client could write; each must fail to type-check and be refused. */
const wrong: Readonly<Record<string, object>> = {
  'record-licence-number-only': { type: 'RecordLicence', data: { licenceNumber: 'nope' } },
  'withdraw-licence-number-only': { type: 'WithdrawApplication', data: { licenceNumber: 'nope' } },
  'record-without-holder': {
    type: 'RecordLicence',
    data: {
      licenceNumber,
      classes: ['C1'],
      validFrom: '2020-01-01',
      validUntil: '2030-01-01',
      authority,
      statuses: ['A'],
      photoOnFile: true,
    },
  },
  'unknown-class': { type: 'ChangeLicenceStatus', data: { licenceNumber, statuses: ['Q'] } },
  'unknown-type': { type: 'DeleteLicence', data: { licenceNumber } },
  'photo-without-defects': {
    type: 'SubmitPhoto',
    data: { licenceNumber, applicationId: 'app-1', photo: { id: 'photo-1', capturedOn: '2026-10-10' } },
  },
}

const bodyType = `paths['/commands']['post']['requestBody']['content']['application/json']`
const withId = (body: object, commandId: string) => ({ ...body, metadata: { commandId } })

describe('a TypeScript client generated from the served document', () => {
  it('types a correct command of every type, refuses wrong ones, and the server agrees', async () => {
    expect(new Set(scenario.map(({ body }) => (body as { type: string }).type))).toEqual(
      new Set(commandTypes),
    )
    await run(process.execPath, [bin('openapi-typescript/bin/cli.js'), 'openapi.json', '-o', 'api.d.ts'], {
      cwd: directory,
      env: offline,
    }).catch((error) => {
      throw new Error(`openapi-typescript failed: ${error.stderr ?? error}`)
    })

    const correct = scenario.map(({ body }) => withId(body, nextCommandId()))
    await writeFile(
      join(directory, 'correct.ts'),
      `import type { paths } from './api.js'\nexport const commands: ReadonlyArray<${bodyType}> = ${JSON.stringify(correct, null, 2)}\n`,
    )
    const wrongBodies = Object.entries(wrong).map(
      ([name, body]) => [name, withId(body, nextCommandId())] as const,
    )
    for (const [name, body] of wrongBodies) {
      await writeFile(
        join(directory, `wrong-${name}.ts`),
        `import type { paths } from './api.js'\nexport const command: ${bodyType} = ${JSON.stringify(body, null, 2)}\n`,
      )
    }
    await writeFile(
      join(directory, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          skipLibCheck: false,
          types: [],
        },
        include: ['*.ts'],
      }),
    )
    const checked = await run(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], {
      cwd: directory,
    }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    )
    const errorsIn = (file: string) => checked.split('\n').filter((line) => line.startsWith(`${file}(`))
    expect(errorsIn('correct.ts'), checked).toEqual([])
    expect(errorsIn('api.d.ts'), checked).toEqual([])
    for (const [name] of wrongBodies) expect(errorsIn(`wrong-${name}.ts`).length, name).toBeGreaterThan(0)

    for (const [index, step] of scenario.entries()) {
      if (step.now !== undefined) running.setNow(step.now)
      const sent = await running.api.request('POST', '/commands', {
        token: testTokens[step.sender],
        body: correct[index],
      })
      expect(sent.status, JSON.stringify(sent.body)).toBe(201)
    }
    for (const [name, body] of wrongBodies) {
      const sent = await running.api.request('POST', '/commands', { token: testTokens.registry, body })
      expect(sent.status, name).toBe(400)
    }
  })

  it('passes redocly lint with its recommended rules', async () => {
    await writeFile(join(directory, 'redocly.yaml'), 'extends:\n  - recommended\n')
    const linted = await run(
      process.execPath,
      [bin('@redocly/cli/bin/cli.js'), 'lint', 'openapi.json', '--format', 'json'],
      {
        cwd: directory,
        env: offline,
      },
    ).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' }),
    )
    const report = JSON.parse(linted.stdout) as {
      readonly totals: { readonly errors: number; readonly warnings: number }
      readonly problems: ReadonlyArray<{ readonly ruleId: string; readonly message: string }>
    }
    expect(report.problems, JSON.stringify(report.problems, null, 2)).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
    expect(linted.code).toBe(0)
  })
})
