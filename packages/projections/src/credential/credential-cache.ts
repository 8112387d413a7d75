/**
 * What a verifier keeps of the presentations it has checked, for the next presentation of the same
 * credential: the holder's page re-makes its QR code every few seconds, and a rental desk checks
 * it at pickup and at return, each time with a new Key Binding JWT over the same issuer-signed part
 * (the SD-JWT up to its last `~`, the input of `sd_hash`). Everything that part gives is the same
 * every time it is presented — its decoding, the issuer's signature, each disclosure's digest and
 * the claims they unpack to, the device key of `cnf.jwk` imported (a scalar multiplication for
 * P-256, about what verifying a signature costs) — so the checker keeps it (`presentation-checks.ts`)
 * and a presentation seen before costs its KB-JWT's checks and its status. What depends on the
 * presentation or the clock is checked every time: the KB-JWT's signature by the kept device key,
 * its `sd_hash`, freshness, nonce and audience, `exp`, and the status.
 *
 * - Keyed by `sd_hash` of the part (base64url SHA-256 of its text, which a KB-JWT must name anyway):
 *   a hit is that exact text, as far as SHA-256 tells texts apart, whatever its length.
 * - Kept only for a part that passed every check of its own (issuer signature, type, issuer, every
 *   disclosure) with a device key that imports: a forgery never enters, so it cannot push out the
 *   parts of real credentials, and a hit always stands for a part that verified.
 * - Bounded: at most `size` parts, the least recently used one leaving first; `size` 0 keeps none.
 *   Someone holding one real credential can still fill it with that credential's subsets and
 *   orders of disclosures, which only makes others' next presentations cost what a first one does.
 * - Kept claims are frozen: a caller that changes the claims of one verification changes no other.
 *
 * @example
 * presentationChecker({ jwks, credentialCacheSize: 0 }) // keeps nothing: every presentation checked whole
 */

/** Parts a verifier keeps by default: a few KiB each, so some MiB in all. */
export const defaultCredentialCacheSize = 4096

/**
 * What is wrong with `size` as a credential cache size (a whole number of presented credentials,
 * 0 for none), or undefined when nothing is (undefined: the default): for a service to refuse a
 * bad configuration before it serves.
 */
export const credentialCacheSizeProblem = (size: number | undefined): string | undefined =>
  size === undefined || (Number.isSafeInteger(size) && size >= 0)
    ? undefined
    : `the credential cache size must be a non-negative integer (0 keeps none), got ${String(size)}`
