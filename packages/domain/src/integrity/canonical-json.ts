/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation.
 *
 * The domain may not depend on anything but its declared libraries, so this is the RFC's own
 * reference algorithm (ECMAScript `JSON.stringify` for primitives, object members sorted by their
 * UTF-16 code units); `canonical-json.test.ts` checks it against the `canonicalize` package and the
 * RFC's examples.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`RFC 8785 has no form for the number ${value}`)
    }
    // JSON.stringify on primitives is exactly RFC 8785 §3.2.2 (strings) and §3.2.2.3 (numbers).
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`
  }
  const record = value as Record<string, unknown>
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`
}
