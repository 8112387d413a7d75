/**
 * Configuration files of the CLI (a calendar, a token table) are JSON; one reader gives the same
 * clear error for a missing file and for text that is not JSON.
 *
 * @example
 * readJsonFile('./tokens.json', 'tokens') // Left('cannot read the tokens ./tokens.json: ENOENT …')
 */
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'

export const readJsonFile = (path: string, what: string): E.Either<string, unknown> => {
  try {
    return E.right(JSON.parse(readFileSync(path, 'utf8')))
  } catch (error) {
    return E.left(
      `cannot read the ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}
