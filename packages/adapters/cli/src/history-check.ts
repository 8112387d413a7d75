/**
 * The check of a history file before anything of it is written: every line's shape and codec
 * (`parseHistoryLine`), the global order (positions strictly increasing), and every stream's hash
 * chain (`verifyChain` from the stream's head so far). It keeps one chain head per stream, never the history, so a file of millions of
 * lines is checked in a stream.
 *
 * @example
 * const check = await checkHistory(readLines(createReadStream('history.ndjson')))
 * check.verdict // 'intact' | 'broken' (a chain or the order) | 'unreadable' (a line is no stored event)
 */
import { type ChainHead, headAfter, streamStart, verifyChain } from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import type { Line } from './cli-io.js'
import { parseHistoryLine } from './history-file.js'

export type HistoryVerdict = 'intact' | 'broken' | 'unreadable'

export interface HistoryCheck {
  /** The worst found: a line that is no stored event outranks a broken chain. */
  readonly verdict: HistoryVerdict
  /** The first problems found, each naming its line. */
  readonly problems: ReadonlyArray<string>
  readonly problemCount: number
  readonly events: number
  readonly streams: number
}

/** Problems kept for display; the rest are counted. One bad edit can break every later line. */
const keptProblems = 20

const verdictRank: Readonly<Record<HistoryVerdict, number>> = { intact: 0, broken: 1, unreadable: 2 }

export const checkHistory = async (lines: AsyncIterable<Line>): Promise<HistoryCheck> => {
  const problems: string[] = []
  let problemCount = 0
  let verdict: HistoryVerdict = 'intact'
  const report = (found: HistoryVerdict, messages: ReadonlyArray<string>) => {
    if (verdictRank[found] > verdictRank[verdict]) verdict = found
    problemCount += messages.length
    problems.push(...messages.slice(0, Math.max(0, keptProblems - problems.length)))
  }
  // Per stream, the head of its verified chain, or 'broken': after a break nothing in it can be trusted.
  const heads = new Map<string, ChainHead | 'broken'>()
  let previous: { readonly line: number; readonly position: number } | undefined
  let events = 0
  for await (const line of lines) {
    const parsed = parseHistoryLine(line)
    if (E.isLeft(parsed)) {
      report('unreadable', parsed.left)
      continue
    }
    const event = parsed.right
    events++
    if (previous !== undefined && event.position <= previous.position) {
      report('broken', [
        `line ${line.number}: position ${event.position} is not after position ${previous.position} of line ${previous.line}: lines are out of global order`,
      ])
    }
    if (previous === undefined || event.position > previous.position) {
      previous = { line: line.number, position: event.position }
    }
    const head = heads.get(event.streamId) ?? streamStart
    if (head === 'broken') continue
    const breaks = await verifyChain([event], nodeSha256Hex, head)
    if (breaks.length === 0) {
      heads.set(event.streamId, headAfter(event))
    } else {
      report(
        'broken',
        breaks.map((chainBreak) => `line ${line.number}: ${chainBreak.message} (${chainBreak.reason})`),
      )
      heads.set(event.streamId, 'broken')
    }
  }
  return { verdict, problems, problemCount, events, streams: heads.size }
}
