/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation.
 *
 * The RFC's own reference algorithm (ECMAScript `JSON.stringify` for primitives, object members
 * sorted by their UTF-16 code units); `canonical-json.test.ts` checks it against the `canonicalize`
 * package and the RFC's examples. DESIGN §1 allows the domain to use `canonicalize` instead; we
 * measured it and kept this one, for two reasons. The package refuses a string with a lone UTF-16
 * surrogate, where this one writes it escaped (`"\ud800"`, as `JSON.stringify` does): the EventStore
 * port keeps any JSON data and stream id exactly as written (the PostgreSQL suite and the schema
 * migration test store lone surrogates), so with the package such an append would fail. And the
 * package does more per string (the surrogate check, `toJSON`, cycle tracking): `pnpm bench` (domain)
 * measured it 0–23 % slower on a stored event's metadata under load (one run of three equal), and
 * this text is the auditor's replay's hot path.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
// Member names that JSON.stringify would write unchanged between quotes (no escapes needed).
const plainKey = /^[A-Za-z0-9_$.-]*$/

// Member names recur in every command and event (`metadata`, `commandId`, …): each is quoted once,
// with its colon, and with the comma before it, so a member costs two concatenations, not five (each
// one a string to collect). Bounded, in count and length, since names in an event's `data` come
// from anyone.
interface MemberPrefix {
  readonly first: string
  readonly next: string
}
const memberPrefixes = new Map<string, MemberPrefix>()
const maxMemberPrefixes = 4096
const maxPrefixedKeyLength = 64

const memberPrefix = (key: string): MemberPrefix => {
  const kept = memberPrefixes.get(key)
  if (kept !== undefined) return kept
  const quoted = plainKey.test(key) ? `"${key}"` : JSON.stringify(key)
  const prefix = { first: `${quoted}:`, next: `,${quoted}:` }
  if (memberPrefixes.size < maxMemberPrefixes && key.length <= maxPrefixedKeyLength) {
    memberPrefixes.set(key, prefix)
  }
  return prefix
}

// Below this many members an insertion sort in place: `Array.prototype.sort` copies the array to
// sort it, and that garbage was a quarter of all a command allocated.
const maxInsertionSorted = 16

/** Sorted by UTF-16 code units, as RFC 8785 §3.2.3 asks (what `<` on strings and the default sort compare). */
const sortedKeys = (keys: string[]): string[] => {
  if (keys.length > maxInsertionSorted) return keys.sort()
  for (let index = 1; index < keys.length; index++) {
    const key = keys[index] as string
    let at = index - 1
    for (; at >= 0 && (keys[at] as string) > key; at--) keys[at + 1] = keys[at] as string
    keys[at + 1] = key
  }
  return keys
}

export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`RFC 8785 has no form for the number ${value}`)
    }
    if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) {
      // JSON.stringify would give `undefined`, no text at all, and the hash would cover "undefined".
      throw new TypeError(
        `RFC 8785 has no form for ${value === undefined ? 'undefined' : `a ${typeof value}`}`,
      )
    }
    if (typeof value === 'string') return stringJson(value)
    // JSON.stringify on primitives is exactly RFC 8785 §3.2.2 (strings) and §3.2.2.3 (numbers).
    return JSON.stringify(value)
  }
  // Strings are built by concatenation rather than map/join: hashing every stored event is the
  // auditor's hot path, and the intermediate arrays were a third of its time.
  if (Array.isArray(value)) {
    let out = '['
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out += ','
      const item: unknown = value[index]
      // Strings, the most items and members, inline: a helper that recursed back here would have the
      // JIT inline the whole serialiser into itself twice over (measured 50 ms to compile, on a
      // thread the workload shares, while a short run still runs the slow code).
      out += item === undefined ? 'null' : typeof item === 'string' ? stringJson(item) : canonicalJson(item)
    }
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  const keys = sortedKeys(Object.keys(record))
  let out = '{'
  let first = true
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string
    const member = record[key]
    if (member === undefined) continue
    const prefix = memberPrefix(key)
    out += first ? prefix.first : prefix.next
    first = false
    out += typeof member === 'string' ? stringJson(member) : canonicalJson(member)
  }
  return `${out}}`
}

// Strings JSON.stringify writes unchanged between quotes: no quote, backslash or control character
// to escape, and no surrogate (a lone one is escaped; a pair is kept, but the class cannot tell them
// apart). Each JSON.stringify call sets up a serialiser in the runtime: a test of this pattern and
// two concatenations cost less, most of all before the JIT has warmed up (about half, measured).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what JSON escapes
const plainString = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/

/** RFC 8785 §3.2.2.2: a string as JSON.stringify writes it (`canonicalJson` of a string). */
export const stringJson = (text: string): string =>
  plainString.test(text) ? `"${text}"` : JSON.stringify(text)
