/**
 * The disclosed claims of an SD-JWT (RFC 9901 §7.1 step 3), unpacked in one walk of the
 * issuer-signed payload that also makes the checks `@sd-jwt/decode`'s `unpack` does not: it
 * silently ignores a disclosure whose digest appears nowhere, lets a disclosed claim overwrite a
 * claim of the same name, and accepts a digest listed twice. Each of those makes the SD-JWT invalid
 * (`problems`); the claims are then not to be trusted. Where there is no problem the claims are
 * the library's `unpack`'s (the tests hold them to it): members in the payload's order without
 * `_sd`, then the disclosed ones in `_sd`'s order; array elements in place, undisclosed ones left
 * out; disclosed values unpacked in turn. Digests that match nothing are decoys and are ignored.
 *
 * @example
 * unpackDisclosures(payload, disclosures) // { problems: [], claims: { iss: '…', masked_name: '张*', … } }
 */
import type { DigestedDisclosure } from './presentation-parts.js'

export const disclosureProblemKinds = [
  'unreferenced-disclosure',
  'duplicate-disclosure',
  'duplicate-digest',
  'claim-name-collision',
  'misplaced-disclosure',
] as const
export type DisclosureProblem = (typeof disclosureProblemKinds)[number]

export interface UnpackedClaims {
  readonly problems: ReadonlyArray<DisclosureProblem>
  /** The payload with its disclosed claims in place, without `_sd`. */
  readonly claims: Record<string, unknown>
}

/** Claim names a disclosure may never carry (RFC 9901 §7.1 step 3.b.ii). */
const reservedNames: ReadonlySet<string> = new Set(['_sd', '...'])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A member set by definition: a claim named `__proto__` stays a claim, never the object's prototype. */
const setMember = (target: Record<string, unknown>, name: string, value: unknown): void => {
  if (name === '__proto__')
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true })
  else target[name] = value
}

/** Whether an array element is a disclosure's place (`{ "...": digest }`, its only member). */
const isElementReference = (element: Record<string, unknown>): boolean => {
  let members = 0
  for (const _ in element) if (++members > 1) return false
  return members === 1 && '...' in element
}

export const unpackDisclosures = (
  payload: Readonly<Record<string, unknown>>,
  disclosures: ReadonlyArray<DigestedDisclosure>,
): UnpackedClaims => {
  const problems = new Set<DisclosureProblem>()
  const byDigest = new Map<string, DigestedDisclosure>()
  for (let index = 0; index < disclosures.length; index++) {
    const disclosure = disclosures[index] as DigestedDisclosure
    if (byDigest.has(disclosure.digest)) problems.add('duplicate-disclosure')
    byDigest.set(disclosure.digest, disclosure)
  }
  const referenced = new Set<string>()
  const reference = (digest: unknown): DigestedDisclosure | undefined => {
    if (typeof digest !== 'string') return undefined
    if (referenced.has(digest)) problems.add('duplicate-digest')
    referenced.add(digest)
    return byDigest.get(digest)
  }
  // Depth is bounded by the issuer-signed payload and the disclosures, each referenced at most
  // once (a second reference is a problem, and digests cannot form a cycle).
  const unpacked = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const elements: unknown[] = []
      for (let index = 0; index < value.length; index++) {
        const element: unknown = value[index]
        if (isRecord(element) && isElementReference(element)) {
          const disclosure = reference(element['...'])
          if (disclosure === undefined) continue
          if (disclosure.key !== undefined) problems.add('misplaced-disclosure')
          elements.push(unpacked(disclosure.value))
        } else elements.push(unpacked(element))
      }
      return elements
    }
    if (!isRecord(value)) return value
    const members: Record<string, unknown> = {}
    for (const name in value) if (name !== '_sd') setMember(members, name, unpacked(value[name]))
    const digests = value._sd
    if (!Array.isArray(digests)) return members
    for (let index = 0; index < digests.length; index++) {
      const disclosure = reference(digests[index])
      if (disclosure === undefined) continue
      const name = disclosure.key
      if (name === undefined || reservedNames.has(name)) problems.add('misplaced-disclosure')
      else if (Object.hasOwn(members, name)) problems.add('claim-name-collision')
      else setMember(members, name, unpacked(disclosure.value))
    }
    return members
  }
  const claims = unpacked(payload) as Record<string, unknown>
  for (const digest of byDigest.keys()) if (!referenced.has(digest)) problems.add('unreferenced-disclosure')
  return { problems: [...problems], claims }
}
