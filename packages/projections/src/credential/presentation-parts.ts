/**
 * The parts of an SD-JWT presentation (RFC 9901 §4: `<issuer JWT>~<disclosure>~…~<KB-JWT>`),
 * decoded once and strictly: every segment must be unpadded base64url of UTF-8 JSON, each JWT's
 * header and payload an object, each disclosure an array `[salt, name, value]` (an object member)
 * or `[salt, value]` (an array element) with a string salt and name (§4.2). Anything else is
 * malformed (`undefined`), where `@sd-jwt/decode` would tolerate stray characters, padding, or a
 * string in place of an array. Its other readings are the library's: `~` splits, the last part is
 * the KB-JWT (none when empty), and a lone JWT has neither disclosures nor KB-JWT. Each
 * disclosure's digest (base64url SHA-256 of its text, §4.2.3) is computed once, by the checker
 * (`presentation-checks.ts`), before the claims are unpacked (`disclosures.ts`).
 *
 * @example
 * const parts = presentationParts(text)
 * parts?.disclosures[0] // { text: 'WyJ…', key: 'masked_name', value: '张*' }
 */
import { parseJsonText } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { base64url } from 'jose'

export interface DecodedJwt {
  /** The compact JWS as sent. */
  readonly compact: string
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
}

export interface DecodedDisclosure {
  readonly text: string
  /** The claim name; undefined for an array element's disclosure. */
  readonly key: string | undefined
  readonly value: unknown
}

export interface DigestedDisclosure extends DecodedDisclosure {
  /** base64url SHA-256 of `text`, as `_sd` and `...` name it. */
  readonly digest: string
}

export interface PresentationParts {
  readonly credential: DecodedJwt
  readonly disclosures: ReadonlyArray<DecodedDisclosure>
  /** The KB-JWT's compact text; undefined when the presentation ends in `~` (none). */
  readonly keyBinding: string | undefined
  /** The presentation up to its last `~`: what the KB-JWT's `sd_hash` covers. */
  readonly withoutKeyBinding: string
}

const base64UrlText = /^[A-Za-z0-9_-]+$/

const utf8 = new TextDecoder('utf-8', { fatal: true })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The JSON a base64url segment encodes; undefined when it is not base64url of UTF-8 JSON, or its
 * objects name a member twice or a prototype member (`parseJsonText`, as every other JSON input is
 * read): a KB-JWT naming `aud` twice would otherwise mean its last copy here and its first to a
 * parser that keeps the first.
 */
const base64UrlJson = (segment: string): unknown => {
  // One character past whole bytes (4n + 1 characters) encodes no byte of its own.
  if (!base64UrlText.test(segment) || segment.length % 4 === 1) return undefined
  let text: string
  try {
    text = utf8.decode(base64url.decode(segment))
  } catch {
    return undefined
  }
  const json = parseJsonText(text)
  return E.isRight(json) ? json.right : undefined
}

/** A compact JWS whose header and payload decode to objects; undefined otherwise. */
export const decodedJwt = (compact: string): DecodedJwt | undefined => {
  const first = compact.indexOf('.')
  const second = compact.indexOf('.', first + 1)
  if (first < 0 || second < 0 || compact.indexOf('.', second + 1) >= 0) return undefined
  const header = base64UrlJson(compact.slice(0, first))
  const payload = base64UrlJson(compact.slice(first + 1, second))
  return isRecord(header) && isRecord(payload) ? { compact, header, payload } : undefined
}

const decodedDisclosure = (text: string): DecodedDisclosure | undefined => {
  const array = base64UrlJson(text)
  if (!Array.isArray(array) || typeof array[0] !== 'string') return undefined
  if (array.length === 2) return { text, key: undefined, value: array[1] }
  if (array.length === 3 && typeof array[1] === 'string') return { text, key: array[1], value: array[2] }
  return undefined
}

/** The presentation's parts, or undefined when it is malformed. */
export const presentationParts = (presentation: string): PresentationParts | undefined => {
  const segments = presentation.split('~')
  const credential = decodedJwt(segments[0] ?? '')
  if (credential === undefined) return undefined
  const disclosures: DecodedDisclosure[] = []
  for (let index = 1; index < segments.length - 1; index++) {
    const disclosure = decodedDisclosure(segments[index] ?? '')
    if (disclosure === undefined) return undefined
    disclosures.push(disclosure)
  }
  // A lone JWT (no `~`) is read as an SD-JWT without disclosures or KB-JWT, as the library reads it.
  const last = segments.length === 1 ? '' : (segments[segments.length - 1] ?? '')
  return {
    credential,
    disclosures,
    keyBinding: last === '' ? undefined : last,
    withoutKeyBinding: presentation.slice(0, presentation.length - last.length),
  }
}
