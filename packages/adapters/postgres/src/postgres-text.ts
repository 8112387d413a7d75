/**
 * Strings the store refuses before sending them, because PostgreSQL would not keep them as sent or
 * could not read them back. Text cannot hold U+0000, and a lone surrogate has no UTF-8 form: pg
 * sends U+FFFD in its place, so a stream id or type would be stored other than it was hashed, and
 * verifyChain would then report every event of the stream.
 *
 * Metadata is stored as json text, which keeps both as escapes (`\u0000`, `\ud800`), but
 * PostgreSQL's JSON functions refuse to parse a document holding one, and every append reads the
 * stream's head hash with them (`metadata->>'hash'`, schema.ts): such an event, once stored, would
 * fail every later append to its stream. Reading the hash without parsing the document (matching
 * its text) cannot tell the top-level `hash` from a nested member of that name, and would leave a
 * row that no SQL reader of the table (an operator's query, an audit) can read either; so such
 * metadata is refused at the append, as the text is, and the stream takes the next append. Data is
 * only cast to json and never parsed by the server, so it is kept exactly as written.
 *
 * @example
 * textProblem('the stream id', 'licence-\ud800')
 * // 'the stream id holds a lone surrogate, which PostgreSQL text cannot hold (it would store U+FFFD)'
 */
import { hasLoneSurrogate, type NewEvent } from '@elicence/domain'

const flawOf = (value: string): 'U+0000' | 'a lone surrogate' | undefined =>
  value.includes('\u0000') ? 'U+0000' : hasLoneSurrogate(value) ? 'a lone surrogate' : undefined

/** What is wrong with `value` for a text column, naming it as `field`; undefined when nothing is. */
export const textProblem = (field: string, value: string): string | undefined => {
  const flaw = flawOf(value)
  if (flaw === undefined) return undefined
  const instead = flaw === 'U+0000' ? '' : ' (it would store U+FFFD)'
  return `${field} holds ${flaw}, which PostgreSQL text cannot hold${instead}`
}

/** The path of the first string (member name or value) in `value` with a flaw, and the flaw. */
const flawedString = (
  path: string,
  value: unknown,
): { readonly path: string; readonly flaw: string } | undefined => {
  if (typeof value === 'string') {
    const flaw = flawOf(value)
    return flaw === undefined ? undefined : { path, flaw }
  }
  if (typeof value !== 'object' || value === null) return undefined
  for (const [name, member] of Object.entries(value)) {
    const flaw = flawOf(name)
    if (flaw !== undefined) return { path: `a member name of ${path}`, flaw }
    const found = flawedString(Array.isArray(value) ? `${path}[${name}]` : `${path}.${name}`, member)
    if (found !== undefined) return found
  }
  return undefined
}

/** What is wrong with a batch for the events table: its stream id, or an event's type or metadata. */
export const appendProblem = (streamId: string, events: ReadonlyArray<NewEvent>): string | undefined => {
  const inStreamId = textProblem('the stream id', streamId)
  if (inStreamId !== undefined) return inStreamId
  for (const [index, event] of events.entries()) {
    const inType = textProblem(`the type of event ${index}`, event.type)
    if (inType !== undefined) return inType
    const inMetadata = flawedString('metadata', event.metadata)
    if (inMetadata !== undefined)
      return `${inMetadata.path} of event ${index} holds ${inMetadata.flaw}, which PostgreSQL’s JSON functions cannot read`
  }
  return undefined
}
