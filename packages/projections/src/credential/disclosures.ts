/**
 * RFC 9901 §7.1's checks on the disclosures of an SD-JWT, which `@sd-jwt/decode`'s `unpack` does
 * not make: it silently ignores a disclosure whose digest appears nowhere, lets a disclosed claim
 * overwrite a claim of the same name, and accepts a digest listed twice. Each of those makes the
 * SD-JWT invalid. The library still decodes the disclosures and unpacks the claims; this walk only
 * decides whether what it unpacked may be trusted.
 *
 * @example
 * disclosureProblems(payload, disclosures) // [] or e.g. ['unreferenced-disclosure']
 */
import type { Disclosure } from '@sd-jwt/utils'

export const disclosureProblemKinds = [
  'unreferenced-disclosure',
  'duplicate-disclosure',
  'duplicate-digest',
  'claim-name-collision',
  'misplaced-disclosure',
] as const
export type DisclosureProblem = (typeof disclosureProblemKinds)[number]

/** Claim names a disclosure may never carry (RFC 9901 §7.1 step 3.b.ii). */
const reservedNames: ReadonlySet<string> = new Set(['_sd', '...'])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export const disclosureProblems = (
  payload: Record<string, unknown>,
  disclosures: ReadonlyArray<Disclosure>,
): ReadonlyArray<DisclosureProblem> => {
  const problems = new Set<DisclosureProblem>()
  const byDigest = new Map<string, Disclosure>()
  for (const disclosure of disclosures) {
    const digest = disclosure._digest ?? ''
    if (byDigest.has(digest)) problems.add('duplicate-disclosure')
    byDigest.set(digest, disclosure)
  }
  const referenced = new Set<string>()
  const reference = (digest: unknown): Disclosure | undefined => {
    if (typeof digest !== 'string') return undefined
    if (referenced.has(digest)) problems.add('duplicate-digest')
    referenced.add(digest)
    return byDigest.get(digest)
  }
  // Depth is bounded by the issuer-signed payload and the disclosures, each referenced at most once.
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const element of value) {
        if (isRecord(element) && Object.keys(element).length === 1 && '...' in element) {
          const disclosure = reference(element['...'])
          if (disclosure === undefined) continue
          if (disclosure.key !== undefined) problems.add('misplaced-disclosure')
          walk(disclosure.value)
        } else walk(element)
      }
      return
    }
    if (!isRecord(value)) return
    const names = new Set(Object.keys(value))
    for (const [name, member] of Object.entries(value)) {
      if (name !== '_sd') {
        walk(member)
        continue
      }
      if (!Array.isArray(member)) continue
      for (const digest of member) {
        const disclosure = reference(digest)
        if (disclosure === undefined) continue
        if (disclosure.key === undefined || reservedNames.has(disclosure.key))
          problems.add('misplaced-disclosure')
        else if (names.has(disclosure.key)) problems.add('claim-name-collision')
        else names.add(disclosure.key)
        walk(disclosure.value)
      }
    }
  }
  walk(payload)
  for (const digest of byDigest.keys()) if (!referenced.has(digest)) problems.add('unreferenced-disclosure')
  return [...problems]
}
