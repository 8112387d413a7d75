/**
 * JSON text whose objects name a member once. RFC 8259 §4 leaves duplicate names to the parser, and
 * parsers differ: `JSON.parse` keeps the last, others the first or refuse. A command, a history line
 * or a request with `"status":"A", …, "status":"F"` would then mean one thing to us and another to a
 * gateway or an auditor's own tools reading the same bytes, and its hash (RFC 8785, which takes
 * I-JSON, RFC 7493 §2.3: names unique) would cover only what we kept. So untrusted JSON text is
 * refused, naming the member and where, when an object repeats a name — compared as decoded, so
 * `"a"` and `"\u0061"` are the same name.
 *
 * @example
 * parseJsonText('{"a":1,"b":{"c":2,"c":3}}')
 * // Left('the member "c" appears twice in the object at b: names must be unique (RFC 7493 §2.3)')
 */
import * as E from 'fp-ts/lib/Either.js'

/** The path segments shown in a message; deeper paths are elided. */
const shownSegments = 6

const quote = 0x22
const backslash = 0x5c

interface Frame {
  /** Names seen so far; undefined for an array. */
  readonly names: Set<string> | undefined
  /** The member name or array index this value is at in its parent ('' at the root). */
  readonly at: string
  /** The next element's index, for an array. */
  index: number
}

const pathOf = (frames: ReadonlyArray<Frame>): string => {
  const segments = frames.slice(1).map((frame) => frame.at)
  const shown = segments.slice(0, shownSegments).join('.')
  if (segments.length === 0) return 'the top-level object'
  return `the object at ${segments.length > shownSegments ? `${shown}…` : shown}`
}

/** The index of the quote that closes the string opening at `start` (its opening quote). */
const stringEnd = (text: string, start: number): number => {
  for (let end = text.indexOf('"', start + 1); ; end = text.indexOf('"', end + 1)) {
    // A quote after an odd run of backslashes is escaped.
    let run = 0
    while (text.charCodeAt(end - 1 - run) === backslash) run++
    if (run % 2 === 0) return end
  }
}

/**
 * Undefined when every object of `text` names each member once; otherwise which name repeats and
 * where. `text` must be JSON (`JSON.parse` accepted it): the scan does not check its syntax again.
 */
export const duplicateMemberProblem = (text: string): string | undefined =>
  // Names with escapes must be decoded to be compared; without any, they compare as written.
  text.includes('\\') || repeatsAName(text) ? duplicateMemberWhere(text) : undefined

/** An object with more names than this keeps them in a Set: comparing each with all is quadratic. */
const namesComparedInPlace = 16

/**
 * Whether some object of `text`, which has no backslash, repeats a name: the names of the open
 * objects as spans of `text` on one stack, each compared with its object's earlier names in place,
 * with no string made (a history line is read by every import and audit); an object with many
 * names turns to a Set of them.
 */
const repeatsAName = (text: string): boolean => {
  const starts: number[] = []
  const ends: number[] = []
  // Per open container: where its names begin on the stack, or -1 for an array.
  const firsts: number[] = []
  const sets: Array<Set<string> | undefined> = []
  let expectName = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === quote) {
      const end = text.indexOf('"', index + 1)
      if (expectName) {
        const top = firsts.length - 1
        const first = firsts[top] as number
        const set = sets[top]
        if (set !== undefined) {
          const name = text.slice(index + 1, end)
          if (set.has(name)) return true
          set.add(name)
        } else if (starts.length - first >= namesComparedInPlace) {
          const names = new Set<string>()
          for (let k = first; k < starts.length; k++) names.add(text.slice(starts[k], ends[k]))
          const name = text.slice(index + 1, end)
          if (names.has(name)) return true
          names.add(name)
          sets[top] = names
        } else {
          const length = end - index - 1
          for (let k = first; k < starts.length; k++) {
            if (
              (ends[k] as number) - (starts[k] as number) === length &&
              sameSpan(text, starts[k] as number, index + 1, length)
            )
              return true
          }
          starts.push(index + 1)
          ends.push(end)
        }
        expectName = false
      }
      index = end
    } else if (code === 0x7b /* { */) {
      firsts.push(starts.length)
      sets.push(undefined)
      expectName = true
    } else if (code === 0x5b /* [ */) {
      firsts.push(-1)
      sets.push(undefined)
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      const first = firsts.pop() as number
      sets.pop()
      if (first >= 0) {
        starts.length = first
        ends.length = first
      }
      expectName = false
    } else if (code === 0x2c /* , */) {
      expectName = (firsts[firsts.length - 1] as number) >= 0
    }
  }
  return false
}

const sameSpan = (text: string, a: number, b: number, length: number): boolean => {
  for (let offset = 0; offset < length; offset++)
    if (text.charCodeAt(a + offset) !== text.charCodeAt(b + offset)) return false
  return true
}

/** The problem of `text`'s first repeated name (decoded) with its path; undefined when none repeats. */
const duplicateMemberWhere = (text: string): string | undefined => {
  const frames: Frame[] = []
  let expectName = false
  let name = ''
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === quote) {
      const end = stringEnd(text, index)
      if (expectName) {
        const raw = text.slice(index + 1, end)
        name = raw.includes('\\') ? (JSON.parse(text.slice(index, end + 1)) as string) : raw
        const top = frames[frames.length - 1] as Frame
        const names = top.names as Set<string>
        if (names.has(name))
          return `the member ${JSON.stringify(name)} appears twice in ${pathOf(frames)}: names must be unique (RFC 7493 §2.3)`
        names.add(name)
        expectName = false
      }
      index = end
    } else if (code === 0x7b /* { */) {
      frames.push({ names: new Set(), at: childAt(frames, name), index: 0 })
      expectName = true
    } else if (code === 0x5b /* [ */) {
      frames.push({ names: undefined, at: childAt(frames, name), index: 0 })
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      frames.pop()
      expectName = false
    } else if (code === 0x2c /* , */) {
      const top = frames[frames.length - 1] as Frame
      if (top.names === undefined) top.index++
      else expectName = true
    }
  }
  return undefined
}

/** Where a value opening now sits in its parent: the member just named, or the array's next index. */
const childAt = (frames: ReadonlyArray<Frame>, name: string): string => {
  const parent = frames[frames.length - 1]
  return parent === undefined ? '' : parent.names === undefined ? String(parent.index) : name
}

/** `JSON.parse`, refusing text whose objects repeat a name; Left says what is wrong ("not JSON: …" for bad syntax). */
export const parseJsonText = (text: string): E.Either<string, unknown> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return E.left(`not JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
  const problem = jsonMemberProblem(json, text)
  return problem === undefined ? E.right(json) : E.left(problem)
}

/**
 * What is wrong with the members of `json`, parsed from `text` (`JSON.parse` accepted it), or
 * undefined: a prototype member (`prototypeMemberProblem`), a name twice (`duplicateMemberProblem`).
 * Every transport reads untrusted JSON through it — the HTTP bodies, exec's commands, history lines,
 * token and calendar files — so none accepts what another refuses.
 */
export const jsonMemberProblem = (json: unknown, text: string): string | undefined =>
  prototypeMemberProblem(json, text) ?? duplicateMemberProblem(text)

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null

/**
 * Where the first prototype member of `value` is, or undefined. A stack of its own, not recursion:
 * JSON.parse reads nesting far deeper than a call stack goes (the depth limit is checked after).
 */
const prototypeMemberAt = (value: unknown): ReadonlyArray<string> | undefined => {
  const pending: Array<{ readonly value: unknown; readonly path: ReadonlyArray<string> }> = [
    { value, path: [] },
  ]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: current, path } = next
    if (!isObject(current)) continue
    if (!Array.isArray(current)) {
      if (Object.hasOwn(current, '__proto__')) return path
      const constructorMember = Object.hasOwn(current, 'constructor') ? current.constructor : undefined
      if (isObject(constructorMember) && Object.hasOwn(constructorMember, 'prototype')) return path
    }
    // Pushed last to first, so the first member is looked at first.
    const keys = Object.keys(current)
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string
      // Paths are shown to `shownSegments` and an ellipsis: deeper segments are not kept.
      const deeper = path.length > shownSegments ? path : [...path, key]
      pending.push({ value: (current as Record<string, unknown>)[key], path: deeper })
    }
  }
  return undefined
}

/**
 * Undefined unless an object of `json` has a `__proto__` member, or a `constructor` member with a
 * `prototype` (what secure-json-parse, Fastify's parser, refuses): code that copies such a value
 * into an object (`Object.assign`, a merge) would change that object's prototype. Only a text that
 * names one, or has an escape that could spell one, is walked.
 */
export const prototypeMemberProblem = (json: unknown, text: string): string | undefined => {
  if (!text.includes('__proto__') && !text.includes('prototype') && !text.includes('\\')) return undefined
  const at = prototypeMemberAt(json)
  if (at === undefined) return undefined
  const where =
    at.length === 0
      ? 'the top-level object'
      : `the object at ${at.slice(0, shownSegments).join('.')}${at.length > shownSegments ? '…' : ''}`
  return `${where} has a "__proto__" member, or a "constructor" with a "prototype": neither is accepted, as either could change an object's prototype`
}
