// The line reader every command reads its input with: lines across chunk boundaries, characters
// split between chunks, Windows line ends, and the two ways a line cannot be text — too long, not
// UTF-8 — each a line with its problem, never a crash or a silent replacement character.
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Line, readLines } from './cli-io.js'

const collect = async (chunks: ReadonlyArray<Buffer>, limit?: number): Promise<Line[]> => {
  const lines: Line[] = []
  for await (const line of readLines(Readable.from(chunks), limit)) lines.push(line)
  return lines
}

/** The bytes cut into pieces at the given points. */
const cut = (bytes: Buffer, points: ReadonlyArray<number>): Buffer[] => {
  const sorted = [...new Set(points.map((point) => point % (bytes.length + 1)))].sort((a, b) => a - b)
  return [0, ...sorted].map((start, at) => bytes.subarray(start, sorted[at] ?? bytes.length))
}

describe('readLines', () => {
  it('reads the same lines however the input is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 20 }).filter((text) => !/[\r\n]/.test(text)),
          { maxLength: 8 },
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        async (texts, points, windows) => {
          const bytes = Buffer.from(texts.map((text) => `${text}${windows ? '\r\n' : '\n'}`).join(''), 'utf8')
          const expected = texts.flatMap((text, index) =>
            text.trim() === '' ? [] : [{ number: index + 1, text }],
          )
          expect(await collect(cut(bytes, points))).toEqual(expected)
        },
      ),
    )
  })

  it('names a line longer than the limit, without holding it, and goes on with the next', async () => {
    const long = Buffer.alloc(5000, 'a')
    const lines = await collect(
      [Buffer.from('{"a":1}\n'), long, long, Buffer.from('\n{"b":2}\n'), long],
      4096,
    )
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, text: '', problem: expect.stringMatching(/^line 2 is longer than 4096 bytes/) },
      { number: 3, text: '{"b":2}' },
      { number: 4, text: '', problem: expect.stringMatching(/^line 4 is longer than 4096 bytes/) },
    ])
  })

  it('names a line that is not UTF-8 instead of replacing its bytes', async () => {
    const name = Buffer.from('{"name":"张三丰"}\n', 'utf8')
    // A character split between two chunks is still one character.
    const lines = await collect([
      name.subarray(0, 11),
      name.subarray(11),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
    ])
    expect(lines).toEqual([
      { number: 1, text: '{"name":"张三丰"}' },
      { number: 2, text: '', problem: 'line 2 is not UTF-8 text' },
    ])
  })
})
