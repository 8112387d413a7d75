/**
 * The device keys (`cnf.jwk`) a verifier has imported, kept for the next presentation of the same
 * credential: importing a P-256 JWK costs node:crypto a scalar multiplication (its key check),
 * about as much as verifying the KB-JWT's signature, and a holder presents one credential many
 * times (the holder's page re-makes its QR code every few seconds; a rental desk checks it at
 * pickup and at return). Only what an import would give is reused, never a verdict: every
 * presentation's KB-JWT signature is still checked, with the key its issuer-signed `cnf.jwk` names.
 *
 * - Keyed by the exact JWK as signed (its JSON) and the algorithm: two JWKs that differ in any
 *   member are two entries, so a hit always hands back the key that importing this JWK would give.
 * - Kept only once the credential's issuer signature verified (`keep`): a forged presentation with
 *   keys of its own never enters the cache, so it cannot push the keys of real credentials out.
 * - A JWK that does not import is not kept (it is imported again next time, and fails again).
 * - Bounded: at most `size` keys, the least recently used one leaving first; `size` 0 keeps none.
 *
 * @example
 * const keys = deviceKeyCache(signatures, 4096)
 * const { key, keep } = keys.lookup(cnfJwk, 'ES256') // key: Promise<imported | undefined>
 * if (issuerSignatureValid) keep()
 */
import { recentlyUsed } from '@elicence/domain'
import type { JWK } from 'jose'
import { importedKey, type JwsAlgorithm, type SignatureBackend } from './jws.js'

/** Device keys a verifier keeps by default: a few MiB of key objects. */
export const defaultDeviceKeyCacheSize = 4096

/**
 * What is wrong with `size` as a device key cache size (a whole number of keys, 0 for none), or
 * undefined when nothing is (undefined: the default): for a service to refuse a bad configuration
 * before it serves.
 */
export const deviceKeyCacheSizeProblem = (size: number | undefined): string | undefined =>
  size === undefined || (Number.isSafeInteger(size) && size >= 0)
    ? undefined
    : `the device key cache size must be a non-negative integer (0 keeps none), got ${String(size)}`

export interface DeviceKeyLookup {
  /** The imported key, or undefined when the JWK is no usable key of the algorithm. */
  readonly key: Promise<unknown>
  /** Keeps the key for later lookups: call it once the issuer signature over the JWK verified. */
  readonly keep: () => void
}

export interface DeviceKeyCache {
  readonly lookup: (jwk: Readonly<Record<string, unknown>>, algorithm: JwsAlgorithm) => DeviceKeyLookup
  /** How many keys are kept now. */
  readonly size: () => number
}

const alreadyKept = (): void => undefined

export const deviceKeyCache = (signatures: SignatureBackend, size: number): DeviceKeyCache => {
  const problem = deviceKeyCacheSizeProblem(size)
  if (problem !== undefined) throw new Error(problem)
  const kept = recentlyUsed<string, unknown>(size)
  return {
    lookup: (jwk, algorithm) => {
      const imported = () => importedKey(signatures, jwk as JWK, algorithm)
      if (size === 0) return { key: imported(), keep: alreadyKept }
      const name = `${algorithm} ${JSON.stringify(jwk)}`
      const hit = kept.get(name)
      if (hit !== undefined) return { key: Promise.resolve(hit), keep: alreadyKept }
      const key = imported()
      return {
        key,
        keep: () => {
          void key.then((value) => {
            if (value !== undefined && kept.peek(name) === undefined) kept.set(name, value)
          })
        },
      }
    },
    size: kept.size,
  }
}
