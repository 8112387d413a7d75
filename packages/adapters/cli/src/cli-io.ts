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
import { createReadStream, fstatSync } from 'node:fs'
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
  /**
   * Why the line could not be read as text — longer than the limit, or not UTF-8 — with `text`
   * empty. Readers report it as the line's problem, never as what the line says.
   */
  readonly problem?: string
}

/**
 * The longest line read: a stored event or a command is a few kilobytes (HTTP bodies stop at
 * 64 KiB), and a line is held in memory whole, so an endless one must end in an error, not a crash.
 */
export const maxLineBytes = 1024 * 1024

const newline = 0x0a

/**
 * Non-blank lines of UTF-8 text; a trailing `\r` (a file written on Windows) is dropped. A line
 * over `limit` bytes is skipped without being held, and one that is not UTF-8 is not decoded with
 * replacement characters: each comes as a line with a `problem` that names it.
 */
export async function* readLines(input: Readable, limit: number = maxLineBytes): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let pending: Buffer[] = []
  let pendingBytes = 0
  let overlong = false
  let number = 0
  const lineOf = (bytes: Buffer): Line | undefined => {
    number++
    if (overlong || bytes.length > limit)
      return {
        number,
        text: '',
        problem: `line ${number} is longer than ${limit} bytes, the most a line may have: it cannot be a stored event or a command`,
      }
    let text: string
    try {
      text = decoder.decode(bytes)
    } catch {
      return { number, text: '', problem: `line ${number} is not UTF-8 text` }
    }
    if (text.endsWith('\r')) text = text.slice(0, -1)
    return text.trim() === '' ? undefined : { number, text }
  }
  const keep = (piece: Buffer) => {
    if (overlong) return
    if (pendingBytes + piece.length > limit) {
      overlong = true
      pending = []
      pendingBytes = 0
    } else {
      pending.push(piece)
      pendingBytes += piece.length
    }
  }
  const take = (piece: Buffer): Line | undefined => {
    keep(piece)
    const line = lineOf(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending))
    pending = []
    pendingBytes = 0
    overlong = false
    return line
  }
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer)
    let start = 0
    for (let end = bytes.indexOf(newline, start); end >= 0; end = bytes.indexOf(newline, start)) {
      const line = take(bytes.subarray(start, end))
      if (line !== undefined) yield line
      start = end + 1
    }
    if (start < bytes.length) keep(bytes.subarray(start))
  }
  if (pendingBytes > 0 || overlong) {
    const line = take(Buffer.alloc(0))
    if (line !== undefined) yield line
  }
}

/**
 * `-` or no argument is standard input. A file that cannot be read — missing, unreadable, a
 * directory (which opens, then fails its first read with EISDIR) — is an error value naming it,
 * not a stream error later.
 */
export interface Input {
  readonly stream: Readable
  /** For messages: the path, or "standard input". */
  readonly name: string
  /** How much of a regular file has been read, from 0 to 1, for progress; undefined for standard input, a pipe, a device, an empty file. */
  readonly fractionRead?: () => number
  /** Releases a file; standard input belongs to the process and is left alone. */
  readonly close: () => void
}

export const openInput = async (path: string | undefined, io: CliIo): Promise<E.Either<string, Input>> => {
  if (path === undefined || path === '-') {
    return E.right({ stream: io.stdin, name: 'standard input', close: () => undefined })
  }
  const stream = createReadStream(path)
  try {
    const [fd] = (await once(stream, 'open')) as [number]
    const stats = fstatSync(fd)
    if (stats.isDirectory()) {
      stream.destroy()
      return E.left(`cannot read ${path}: it is a directory, not a file`)
    }
    return E.right({
      stream,
      name: path,
      ...(stats.isFile() && stats.size > 0 ? { fractionRead: () => stream.bytesRead / stats.size } : {}),
      close: () => stream.destroy(),
    })
  } catch (error) {
    stream.destroy()
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
