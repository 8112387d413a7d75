import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// Every partition worker of a replay or an audit imports this package to open its store. What the
// entry loads, each worker loads again: the read models need only the ReadModelStore port
// (@elicence/projections/read-model-port), not the main entry with the credential
// modules and their libraries.
const hooks = new URL('./typescript-hooks.fixture.mjs', import.meta.url).href
const recordLoads = `export const load = async (url, context, nextLoad) => {
  if (url.startsWith('file:')) process.stderr.write('loaded ' + url + '\\n')
  return nextLoad(url, context)
}`
const register = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)}); register(${JSON.stringify(
    `data:text/javascript,${encodeURIComponent(recordLoads)}`,
  )})`,
)}`
const entry = new URL('./index.ts', import.meta.url).href

describe('the modules the SQLite adapter loads', () => {
  it('its entry loads both stores without the credential modules or their libraries', async () => {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=@elicence/source',
        '--import',
        register,
        '--no-warnings',
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(entry)})`,
      ],
      { timeout: 60_000 },
    )
    const loaded = stderr
      .split('\n')
      .filter((line) => line.startsWith('loaded '))
      .map((line) => line.slice('loaded '.length))
    // The recording sees the stores themselves, so an empty list cannot pass.
    expect(loaded.some((url) => url.endsWith('/sqlite/src/sqlite-store.ts'))).toBe(true)
    expect(loaded.some((url) => url.endsWith('/sqlite/src/read-models.ts'))).toBe(true)
    expect(loaded.filter((url) => /\/projections\/src\/credential\/|@sd-jwt|\/jose\//.test(url))).toEqual([])
  })
})
