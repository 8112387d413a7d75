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

export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`RFC 8785 has no form for the number ${value}`)
    }
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
      out += item === undefined ? 'null' : canonicalJson(item)
    }
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(record).sort()
  let out = '{'
  let first = true
  for (const key of keys) {
    const member = record[key]
    if (member === undefined) continue
    if (!first) out += ','
    first = false
    out += `${plainKey.test(key) ? `"${key}"` : JSON.stringify(key)}:${canonicalJson(member)}`
  }
  return `${out}}`
}
