// Node module hooks that let a child process of an integration test run this workspace's TypeScript
// sources directly (as vitest does), so the processes under test never run a stale dist/. Each .ts
// file is transpiled on load; `./x.js` imports between sources resolve to `./x.ts`.
//
// Example: fork(file, args, { execArgv: ['--conditions=@elicence/source', '--import', registerHooks] })
import { readFile } from 'node:fs/promises'
import ts from 'typescript'

export const resolve = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    if (!(specifier.endsWith('.js') && context.parentURL?.endsWith('.ts'))) throw error
    return nextResolve(`${specifier.slice(0, -'.js'.length)}.ts`, context)
  }
}

export const load = async (url, context, nextLoad) => {
  if (!url.endsWith('.ts')) return nextLoad(url, context)
  const source = await readFile(new URL(url), 'utf8')
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  })
  return { format: 'module', source: outputText, shortCircuit: true }
}
