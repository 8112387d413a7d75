import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// Each README's "Public surface" list and the entry points' index files name the same exports.
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

const exportedNames = (index: string): ReadonlyArray<string> =>
  [...index.matchAll(/export (?:type )?\{([^}]*)\} from '[^']+'/g)]
    .flatMap((match) => (match[1] ?? '').split(','))
    .map((name) => name.trim().replace(/^type /, ''))
    .filter((name) => name.length > 0)
    .sort()

const documentedNames = (readme: string, entryPoint: string): ReadonlyArray<string> => {
  const start = readme.indexOf('## Public surface')
  const end = readme.indexOf('\n## ', start + 1)
  const surface = readme.slice(start, end === -1 ? undefined : end)
  const item = surface.split('\n- ').find((line) => line.startsWith(`\`${entryPoint}\`:`)) ?? ''
  return [...item.slice(item.indexOf(':')).matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '').sort()
}

describe('the public surface of @elicence/projections and @elicence/domain', () => {
  it.each([
    ['@elicence/projections', '../README.md', './index.ts'],
    ['@elicence/projections/node', '../README.md', './node/index.ts'],
    ['@elicence/projections/node/credentials', '../README.md', './node/credentials.ts'],
    ['@elicence/projections/read-model-port', '../README.md', './read-model-port/index.ts'],
    ['@elicence/projections/testing', '../README.md', './testing/index.ts'],
    // The package this one builds on: its README is read here, where both are in reach.
    ['@elicence/domain', '../../domain/README.md', '../../domain/src/index.ts'],
    ['@elicence/domain/testing', '../../domain/README.md', '../../domain/src/testing/index.ts'],
  ])('%s exports exactly what its README lists', (entryPoint, readme, index) => {
    const exported = exportedNames(read(index))
    expect(exported.length).toBeGreaterThan(0)
    expect(documentedNames(read(readme), entryPoint)).toEqual(exported)
  })
})
