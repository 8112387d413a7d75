/**
 * What a command may touch of its process: standard streams and the environment, passed in so that
 * tests run commands in-process against in-memory streams. Also the reading and writing every
 * command shares: input from FILE or `-`, line by line; output line by line, waiting when the
 * reader is slower (an export of millions of events must not pile up in memory).
 *
 * @example
 * for await (const { number, text } of readLines(input)) await writeLine(io.stdout, text)
 */
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import * as E from 'fp-ts/lib/Either.js'

export interface CliIo {
  readonly stdin: Readable & { readonly isTTY?: boolean }
  readonly stdout: Writable
  readonly stderr: Writable & { readonly isTTY?: boolean }
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * "Now" for the command handler (recordedAt, and rule 10's bound on a command's `at`); the
   * system clock when absent. Tests of commands stated at a fixed date pass one, so they never
   * depend on the day they run.
   */
  readonly clock?: () => Date
}

export interface Line {
  /** 1-based, counting every line of the input, so it matches what an editor shows. */
  readonly number: number
  readonly text: string
}

/** Non-blank lines; a trailing `\r` (a file written on Windows) is dropped. */
export async function* readLines(input: Readable): AsyncGenerator<Line> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  let number = 0
  for await (const text of lines) {
    number++
    if (text.trim() !== '') yield { number, text }
  }
}

/** `-` or no argument is standard input. A missing file is an error value, not a stream error later. */
export interface Input {
  readonly stream: Readable
  /** For messages: the path, or "standard input". */
  readonly name: string
  /** Releases a file; standard input belongs to the process and is left alone. */
  readonly close: () => void
}

export const openInput = async (path: string | undefined, io: CliIo): Promise<E.Either<string, Input>> => {
  if (path === undefined || path === '-') {
    return E.right({ stream: io.stdin, name: 'standard input', close: () => undefined })
  }
  const stream = createReadStream(path)
  try {
    await once(stream, 'open')
    return E.right({ stream, name: path, close: () => stream.destroy() })
  } catch (error) {
    return E.left(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

export const writeLine = async (output: Writable, text: string): Promise<void> => {
  if (!output.write(`${text}\n`)) await once(output, 'drain')
}

/** A diagnostic for people, on stderr, prefixed like other Unix tools. */
export const complain = (io: CliIo, command: string, message: string): void => {
  io.stderr.write(`elicence ${command}: ${message}\n`)
}
