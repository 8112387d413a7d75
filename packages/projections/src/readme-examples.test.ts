import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// Every ```ts block of the READMEs (the workspace's and its packages') is a consumer's module: compiled as it stands, under
// the workspace's strict NodeNext settings, against the packages' public exports. Each block is a
// virtual file beside its README, so it resolves packages as that package's consumer would (its own
// name by self-reference, its dependencies from its node_modules), and the sources through the
// "@elicence/source" condition, as every test does, so a stale dist/ cannot hide a broken example.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const adapters = join(root, 'packages/adapters')
const readmes = [
  'README.md',
  'packages/domain/README.md',
  'packages/projections/README.md',
  ...readdirSync(adapters).map((adapter) => `packages/adapters/${adapter}/README.md`),
].sort()

interface Block {
  readonly readme: string
  /** The 1-based README line of the opening fence. */
  readonly line: number
  readonly fileName: string
  readonly text: string
}

/**
 * Where a README's blocks resolve packages from: beside it, but for the workspace's own README,
 * whose examples are those of a consumer of @elicence/domain (the root has no packages of its own).
 */
const homeOf = (readme: string): string => (readme === 'README.md' ? 'packages/domain' : dirname(readme))

const typeScriptFence = /^```(?:ts|typescript)\s*$/
const fence = /^```/

/** The README's ```ts blocks, and the opening fences that name no language (they must choose one). */
const blocksOf = (readme: string): { blocks: ReadonlyArray<Block>; unlabelled: ReadonlyArray<number> } => {
  const lines = readFileSync(join(root, readme), 'utf8').split('\n')
  const blocks: Block[] = []
  const unlabelled: number[] = []
  for (let index = 0; index < lines.length; index++) {
    const opening = lines[index] ?? ''
    if (!fence.test(opening)) continue
    const end = lines.findIndex((candidate, at) => at > index && /^```\s*$/.test(candidate))
    const closing = end === -1 ? lines.length : end
    if (/^```\s*$/.test(opening)) unlabelled.push(index + 1)
    else if (typeScriptFence.test(opening))
      blocks.push({
        readme,
        line: index + 1,
        fileName: join(root, homeOf(readme), `readme-example-line-${index + 1}.ts`),
        text: lines.slice(index + 1, closing).join('\n'),
      })
    index = closing
  }
  return { blocks, unlabelled }
}

const compilerOptions = (): ts.CompilerOptions => {
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(base.config, ts.sys, root)
  return {
    ...options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    customConditions: ['@elicence/source'],
    types: ['node'],
    // A block without an import is still a module of its own, not a script sharing globals.
    moduleDetection: ts.ModuleDetectionKind.Force,
  }
}

/** Every block's diagnostics, as `README:line (block at line n): TS…: message`, the line the code is on. */
const diagnosticsOf = (blocks: ReadonlyArray<Block>): ReadonlyArray<string> => {
  const options = compilerOptions()
  const virtual = new Map(blocks.map((block) => [block.fileName, block]))
  const host = ts.createCompilerHost(options, true)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName)
  host.readFile = (fileName) => virtual.get(fileName)?.text ?? readFile.call(host, fileName)
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const block = virtual.get(fileName)
    return block === undefined
      ? getSourceFile.call(host, fileName, languageVersion, ...rest)
      : ts.createSourceFile(fileName, block.text, languageVersion, true)
  }
  // The ambient declaration the projections' sources rely on (their tsconfig includes all of src/).
  const ambient = join(root, 'packages/projections/src/node/sodium-native.d.ts')
  const program = ts.createProgram([...virtual.keys(), ambient], options, host)
  return blocks.flatMap((block) => {
    const source = program.getSourceFile(block.fileName)
    if (source === undefined) return [`${block.readme}:${block.line}: the block was not compiled`]
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
      (diagnostic) => {
        const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
        return `${block.readme}:${block.line + 1 + line} (block at line ${block.line}): TS${diagnostic.code}: ${message}`
      },
    )
  })
}

const found = readmes.map((readme) => ({ readme, ...blocksOf(readme) }))

describe('the README examples', () => {
  it.each(found)('$readme: every fenced block names its language', ({ unlabelled }) => {
    expect(unlabelled.map((line) => `the fence at line ${line} names no language`)).toEqual([])
  })

  // So that a README whose blocks vanish (a fence renamed) is noticed, not silently unchecked.
  it('are found, so many per README', () => {
    expect(Object.fromEntries(found.map(({ readme, blocks }) => [readme, blocks.length]))).toEqual({
      'README.md': 2,
      'packages/adapters/cli/README.md': 1,
      'packages/adapters/eventstoredb/README.md': 1,
      'packages/adapters/http/README.md': 1,
      'packages/adapters/postgres/README.md': 1,
      'packages/adapters/sqlite/README.md': 1,
      'packages/domain/README.md': 3,
      'packages/projections/README.md': 5,
    })
  })

  it('compile as written, each on its own, under strict NodeNext', { timeout: 120_000 }, () => {
    expect(diagnosticsOf(found.flatMap(({ blocks }) => blocks))).toEqual([])
  })
})
