/**
 * The history file of DESIGN §4 (export, import, audit): NDJSON, one stored event per line in
 * global order, `{ streamId, version, position, type, data, metadata }`. Writing is one
 * `JSON.stringify`; reading is the one reader of such files, for import and audit alike: it checks
 * everything a store would be trusted with, by the domain's stored-event codec (the shape of every
 * field, no unknown field), and that the event decodes, through the upcasters, as the handler will
 * read it.
 *
 * @example
 * historyLineOf(storedEvent) // '{"streamId":"licence-11010519491231002X","version":0,"position":1,…}'
 * parseHistoryLine({ number: 3, text }) // Either<ReadonlyArray<string>, StoredEvent>
 */
import {
  decodeStoredEventShape,
  defaultStoredEventDecoder,
  jsonDepthProblem,
  parseJsonText,
  type StoredEvent,
  type StoredEventDecoder,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { Line } from './cli-io.js'

export const historyLineOf = (event: StoredEvent): string =>
  JSON.stringify({
    streamId: event.streamId,
    version: event.version,
    position: event.position,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  })

/**
 * A line's JSON, unchecked but for its depth and unique member names; the problem names the line. Too deep a line is
 * refused here, before the codecs, the hash checks and the replay, which recurse into it.
 */
export const parseHistoryJson = (line: Line): E.Either<string, unknown> => {
  if (line.problem !== undefined) return E.left(line.problem)
  const json = parseJsonText(line.text)
  if (E.isLeft(json)) return E.left(`line ${line.number}: ${json.left}`)
  const tooDeep = jsonDepthProblem(json.right)
  return tooDeep === undefined ? json : E.left(`line ${line.number}: ${tooDeep}`)
}

/**
 * Every problem of one line, each naming the line; or the stored event it holds. The shape is the
 * domain's stored-event codec; the event must decode through `decoder`, as the handler will read it.
 */
export const parseHistoryLine = (
  line: Line,
  decoder: StoredEventDecoder = defaultStoredEventDecoder,
): E.Either<ReadonlyArray<string>, StoredEvent> => {
  const at = `line ${line.number}`
  const json = parseHistoryJson(line)
  if (E.isLeft(json)) return E.left([json.left])
  const shaped = decodeStoredEventShape(json.right)
  if (E.isLeft(shaped)) return E.left(shaped.left.map((issue) => `${at}: ${issue.path}: ${issue.message}`))
  const readable = decoder.decodeShaped(shaped.right)
  if (E.isLeft(readable)) return E.left([`${at}: ${readable.left.message}`])
  return E.right(shaped.right)
}
