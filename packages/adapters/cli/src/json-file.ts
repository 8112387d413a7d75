/**
 * Configuration files of the CLI (a calendar, a token table) are JSON; one reader gives the same
 * clear error for a missing file, for text that is not JSON, and for an object naming a member twice
 * (a token table with one token twice would otherwise keep only its last actor).
 *
 * @example
 * readJsonFile('./tokens.json', 'tokens') // Left('cannot read the tokens ./tokens.json: ENOENT …')
 */
import { readFileSync } from 'node:fs'
import { parseJsonText } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'

export const readJsonFile = (path: string, what: string): E.Either<string, unknown> => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    return E.left(
      `cannot read the ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  return E.mapLeft((problem: string) => `cannot read the ${what} ${path}: ${problem}`)(parseJsonText(text))
}
