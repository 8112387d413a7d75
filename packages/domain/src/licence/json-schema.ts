/**
 * JSON Schemas (2020-12) derived from the io-ts codecs, so that a document describing the wire (the
 * HTTP transport's OpenAPI) cannot drift from what the decoders accept: the codec is the one source.
 * The structure comes from the codec itself (`t.type`, `t.exact`, `t.union`, `t.literal`, `t.keyof`,
 * arrays, `t.readonly`); what a predicate checks, which io-ts cannot show, is stated beside the codec
 * with `describeCodec`, from the same constants the predicate is built from (see `values.ts`).
 *
 * Two sides, because `t.exact` strips unknown properties on decode and never writes them on encode:
 * - `input`, what `decode` accepts: objects stay open (an unknown property is ignored, not refused);
 * - `output`, what `encode` produces: objects are closed (`additionalProperties: false`), so a test
 *   that validates a response catches a field the document does not have.
 *
 * A check that JSON Schema cannot state (the GB 11643 check character, a relation between two
 * fields) makes the schema wider than the codec, never narrower, and its `description` says so.
 * A codec whose checks cannot be seen and were not described is a programming error: deriving its
 * schema throws at once (when the document is built), rather than describing less than is checked.
 *
 * @example
 * jsonSchemaOf(LicenceNumber, { side: 'input' })
 * // { type: 'string', pattern: '^\\d{17}[\\dX]$', description: '… check character … not expressible …' }
 */
import * as t from 'io-ts'

export type JsonSchema = { readonly [keyword: string]: unknown }

export type SchemaSide = 'input' | 'output'

export interface SchemaOptions {
  readonly side: SchemaSide
  /**
   * A component name for codecs that are referenced rather than inlined (`#/components/schemas/…`
   * in OpenAPI). The codec asked for is never replaced by its own reference.
   */
  readonly refOf?: (codec: t.Any) => string | undefined
  readonly refPrefix?: string
}

interface Description {
  /** The codec whose schema this one refines; by default a refinement's own base (`t.brand`). */
  readonly base: t.Any | undefined
  readonly schema: JsonSchema
}

const descriptions = new WeakMap<t.Any, Description>()

/**
 * States what a codec checks beyond its structure, as JSON Schema keywords merged over the schema of
 * `base` (a `t.brand`'s base string by default). Returns the codec itself.
 */
export const describeCodec = <C extends t.Any>(codec: C, schema: JsonSchema, base?: t.Any): C => {
  descriptions.set(codec, { base, schema })
  return codec
}

/** A copy of `codec` (same checks, same type) whose schema adds `schema`, e.g. a description. */
export const withSchema = <A, O>(codec: t.Type<A, O, unknown>, schema: JsonSchema): t.Type<A, O, unknown> =>
  describeCodec(new t.Type<A, O, unknown>(codec.name, codec.is, codec.validate, codec.encode), schema, codec)

/**
 * The same checks as a branded string codec, typed as a plain `string`: for read models whose fields
 * are strings in TypeScript but always hold, say, an instant.
 */
export const asString = <A extends string>(
  codec: t.Type<A, string, unknown>,
): t.Type<string, string, unknown> =>
  describeCodec(
    new t.Type<string, string, unknown>(codec.name, codec.is, codec.validate, (value) => value),
    {},
    codec,
  )

const mergeSchemas = (base: JsonSchema, over: JsonSchema): JsonSchema => {
  const merged: Record<string, unknown> = { ...base, ...over }
  if (typeof base.description === 'string' && typeof over.description === 'string') {
    merged.description = `${base.description} ${over.description}`
  }
  return merged
}

// io-ts's combinators are classes tagged with `_tag`; a hand-written `new t.Type` has none.
type Tagged = t.Any & { readonly _tag?: string }

const objectSchema = (
  props: t.Props,
  required: boolean,
  closed: boolean,
  derive: (codec: t.Any) => JsonSchema,
): JsonSchema => ({
  type: 'object',
  properties: Object.fromEntries(Object.entries(props).map(([key, codec]) => [key, derive(codec)])),
  ...(required ? { required: Object.keys(props) } : {}),
  ...(closed ? { additionalProperties: false } : {}),
})

/** The JSON Schema of what `codec` accepts (`input`) or produces (`output`). */
export const jsonSchemaOf = (codec: t.Any, options: SchemaOptions): JsonSchema => {
  const prefix = options.refPrefix ?? '#/components/schemas/'
  const derive = (current: t.Any, root: boolean, exact: boolean): JsonSchema => {
    const name = root ? undefined : options.refOf?.(current)
    if (name !== undefined) return { $ref: `${prefix}${name}` }
    const inner = (next: t.Any) => derive(next, false, false)
    const tagged = current as Tagged
    const description = descriptions.get(current)
    if (description !== undefined) {
      const base =
        description.base ??
        (tagged._tag === 'RefinementType' ? (current as t.RefinementC<t.Any>).type : undefined)
      // Nothing added (`asString`): the base's own reference, if it has one, says it all.
      const added = Object.keys(description.schema).length > 0
      return mergeSchemas(base === undefined ? {} : derive(base, root || added, exact), description.schema)
    }
    switch (tagged._tag) {
      case 'StringType':
        return { type: 'string' }
      case 'NumberType':
        return { type: 'number' }
      case 'BooleanType':
        return { type: 'boolean' }
      case 'NullType':
        return { type: 'null' }
      case 'LiteralType':
        return { const: (current as t.LiteralC<string | number | boolean>).value }
      case 'KeyofType':
        return { enum: Object.keys((current as t.KeyofC<Record<string, unknown>>).keys) }
      case 'InterfaceType':
        return objectSchema(
          (current as t.InterfaceType<t.Props>).props,
          true,
          exact && options.side === 'output',
          inner,
        )
      case 'PartialType':
        return objectSchema(
          (current as t.PartialType<t.Props>).props,
          false,
          exact && options.side === 'output',
          inner,
        )
      case 'ExactType':
        return derive((current as t.ExactC<t.HasProps>).type, true, true)
      case 'ReadonlyType':
        return derive((current as t.ReadonlyC<t.Any>).type, true, exact)
      case 'ArrayType':
      case 'ReadonlyArrayType':
        return { type: 'array', items: inner((current as t.ArrayC<t.Any>).type) }
      case 'UnionType':
        return { anyOf: (current as t.UnionC<[t.Mixed, t.Mixed]>).types.map(inner) }
      case 'IntersectionType':
        return { allOf: (current as t.IntersectionC<[t.Mixed, t.Mixed]>).types.map(inner) }
      default:
        throw new Error(
          `no JSON Schema for codec ${current.name}: state what it checks with describeCodec beside it`,
        )
    }
  }
  return derive(codec, true, false)
}
