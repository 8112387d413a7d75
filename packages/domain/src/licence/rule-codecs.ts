/**
 * Codec builders whose rules are data, so that one statement of a rule gives both the codec's check
 * and its JSON Schema (`describeCodec`): strings by pattern and length, sets that refuse repeats and
 * sort into canonical order, members of a fixed list, plain values picked out by a predicate. The
 * values of DESIGN §2 are built from them in `values.ts`.
 *
 * Their `is` holds exactly for what their `decode` returns unchanged (a set in canonical order, an
 * object without unknown members), so `decodeUnchanged` can answer a value that already is one with
 * `is` alone: no error contexts, no copies. Commands and stored events are decoded on every write and
 * read, and that was a tenth of a command's time.
 *
 * @example
 * const Id = brandedString<IdBrand, 'Id'>('Id', { minLength: 1, maxLength: 128, description: 'A non-empty id.' })
 * jsonSchemaOf(Id, { side: 'input' }) // { type: 'string', minLength: 1, maxLength: 128, description: '…' }
 */
import * as t from 'io-ts'
import { describeCodec, type JsonSchema } from './json-schema.js'

/**
 * What a string must be, stated once: the predicate of its codec and its JSON Schema are both built
 * from these rules. Patterns are anchored and carry no flags, so a JSON Schema validator reads them
 * as we do. Lengths count characters (code points), as JSON Schema's do.
 */
interface StringRules {
  readonly pattern?: RegExp
  readonly minLength?: number
  readonly maxLength?: number
  readonly format?: string
  /** A check JSON Schema cannot state; `beyondSchema` says what it is, in the schema's description. */
  readonly check?: { readonly isValid: (value: string) => boolean; readonly beyondSchema: string }
  readonly description: string
  readonly examples?: ReadonlyArray<string>
  /**
   * Free text (ids, names), not one of an ASCII pattern: it must be well-formed Unicode, since a
   * lone surrogate has no UTF-8 form (I-JSON, RFC 7493 §2.1, which RFC 8785's hashing builds on)
   * and could not be stored, hashed or shown as it was sent.
   */
  readonly text?: true
}

const wellFormedNote = 'Well-formed Unicode: a lone surrogate (\\ud800) is refused.'

const stringRulesSchema = (rules: StringRules): JsonSchema => ({
  type: 'string',
  ...(rules.pattern === undefined ? {} : { pattern: rules.pattern.source }),
  ...(rules.minLength === undefined ? {} : { minLength: rules.minLength }),
  ...(rules.maxLength === undefined ? {} : { maxLength: rules.maxLength }),
  ...(rules.format === undefined ? {} : { format: rules.format }),
  description: [
    rules.description,
    rules.check?.beyondSchema,
    rules.text === undefined ? undefined : wellFormedNote,
  ]
    .filter((part) => part !== undefined)
    .join(' '),
  ...(rules.examples === undefined ? {} : { examples: rules.examples }),
})

/** Characters (code points), which a pair of surrogates is one of: `String.length` counts it as two. */
const codePointLength = (value: string): number => {
  let count = 0
  for (const _ of value) count++
  return count
}

/** A surrogate that is not half of a pair (what `String.prototype.isWellFormed`, ES2024, tells). */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Whether `value` has a lone surrogate, so no UTF-8 form: stores that keep UTF-8 refuse it too. */
export const hasLoneSurrogate = (value: string): boolean => loneSurrogate.test(value)

const satisfiesRules = (rules: StringRules) => (value: string) =>
  (rules.pattern === undefined || rules.pattern.test(value)) &&
  (rules.text === undefined || !hasLoneSurrogate(value)) &&
  // Code units are never fewer than characters: count characters only where the units say no.
  (rules.minLength === undefined || value.length >= rules.minLength) &&
  (rules.minLength === undefined || rules.minLength <= 1 || codePointLength(value) >= rules.minLength) &&
  (rules.maxLength === undefined ||
    value.length <= rules.maxLength ||
    codePointLength(value) <= rules.maxLength) &&
  (rules.check === undefined || rules.check.isValid(value))

export const brandedString = <B extends { readonly [K in N]: symbol }, N extends string>(
  name: N,
  rules: StringRules,
) => {
  const isValid = satisfiesRules(rules)
  return describeCodec(
    t.brand(t.string, (value): value is t.Branded<string, B> => isValid(value), name),
    stringRulesSchema(rules),
  )
}

const keysOf = <K extends string>(members: ReadonlyArray<K>): { [P in K]: null } =>
  Object.fromEntries(members.map((member) => [member, null])) as { [P in K]: null }

/** A codec of one member of a fixed list of strings. */
export const oneOf = <K extends string>(members: ReadonlyArray<K>, name?: string) =>
  t.keyof(keysOf(members), name)

interface SetRules<K extends string> {
  readonly nonEmpty: boolean
  /** A member that may only stand alone (status `A`), and the refusal's message. */
  readonly alone?: { readonly member: K; readonly message: string }
  readonly description: string
}

/**
 * A set carried as a JSON array. A repeated member is invalid input (DESIGN §3); decoding returns the
 * members in their canonical order, so equal sets are equal arrays. Its JSON Schema is built from
 * the same rules: `uniqueItems`, `minItems`, and `alone` as "not: that member and another".
 */
export const setOf = <K extends string>(
  name: string,
  members: ReadonlyArray<K>,
  rules: SetRules<K>,
): t.Type<ReadonlyArray<K>, ReadonlyArray<K>, unknown> => {
  const member = oneOf(members, members.join(' | '))
  const array = t.readonlyArray(member)
  const rank = new Map(members.map((value, index) => [value, index]))
  const codec = new t.Type<ReadonlyArray<K>, ReadonlyArray<K>, unknown>(
    name,
    // What `decode` returns: no repeat, `alone` alone, in canonical order (so strictly increasing rank).
    (input): input is ReadonlyArray<K> => {
      if (!array.is(input)) return false
      if (rules.nonEmpty && input.length === 0) return false
      if (rules.alone !== undefined && input.length > 1 && input.includes(rules.alone.member)) return false
      for (let index = 1; index < input.length; index++) {
        if ((rank.get(input[index - 1] as K) ?? 0) >= (rank.get(input[index] as K) ?? 0)) return false
      }
      return true
    },
    (input, context) => {
      const decoded = array.validate(input, context)
      if (decoded._tag === 'Left') return decoded
      const values = decoded.right
      if (rules.nonEmpty && values.length === 0) return t.failure(input, context, `${name} must not be empty`)
      if (new Set(values).size !== values.length)
        return t.failure(input, context, `${name} has a repeated member`)
      if (rules.alone !== undefined && values.includes(rules.alone.member) && values.length > 1)
        return t.failure(input, context, rules.alone.message)
      return t.success([...values].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0)))
    },
    (values) => values,
  )
  return describeCodec(codec, {
    type: 'array',
    items: { enum: [...members] },
    uniqueItems: true,
    ...(rules.nonEmpty ? { minItems: 1 } : {}),
    ...(rules.alone === undefined ? {} : { not: { contains: { const: rules.alone.member }, minItems: 2 } }),
    description: `${rules.description} A set: no member twice; the server stores it in the order listed here.`,
  })
}

/**
 * `t.exact(t.type(props))` whose `is` also refuses members beyond `props`, as its `decode` strips
 * them: a value `is` accepts is one `decode` returns unchanged. The same class, so its JSON Schema is
 * derived as any exact type's.
 */
export const exactType = <P extends t.Props>(props: P, name?: string): t.ExactC<t.TypeC<P>> => {
  const exact = name === undefined ? t.exact(t.type(props)) : t.exact(t.type(props), name)
  return new t.ExactType(
    exact.name,
    (input): input is t.TypeOf<t.TypeC<P>> => exact.is(input) && hasOnlyMembersOf(input, props),
    exact.validate,
    exact.encode,
    exact.type,
  )
}

const hasOnlyMembersOf = (value: object, props: t.Props): boolean => {
  // Own enumerable members, by `Object.keys` rather than `for…in` with an `Object.hasOwn` test each.
  const keys = Object.keys(value)
  for (let index = 0; index < keys.length; index++) {
    if (!Object.hasOwn(props, keys[index] as string)) return false
  }
  return true
}

/**
 * `codec.decode`, except that a value `codec.is` accepts is the answer as it is. Sound only for codecs
 * whose `is` holds for exactly what `decode` returns unchanged: those built here, io-ts' primitives,
 * literals, arrays and unions of them (the property tests of commands and events check it).
 */
export const decodeUnchanged = <A>(codec: t.Type<A, unknown, unknown>, value: unknown): t.Validation<A> =>
  codec.is(value) ? t.success(value) : codec.decode(value)

/** A codec of plain TypeScript values (no brand) that `isValid` picks out. */
export const plain = <A>(name: string, isValid: (input: unknown) => input is A, schema: JsonSchema) =>
  describeCodec(
    new t.Type<A, A, unknown>(
      name,
      isValid,
      (input, context) => (isValid(input) ? t.success(input) : t.failure(input, context)),
      (value) => value,
    ),
    schema,
  )
