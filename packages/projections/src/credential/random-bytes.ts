/**
 * Random bytes from Web Crypto's CSPRNG, drawn from a pool it fills 4 KiB at a time, each byte used
 * once: a credential takes eleven 16-byte salts and a status index, and each call to the generator
 * (with a fresh array for it) cost about as much as the bytes it returned.
 *
 * @example
 * const salt = base64url.encode(randomBytes(16)) // read it before the next call: the pool is reused
 */
const pool = new Uint8Array(4096)
let offset = pool.length

/** `count` (at most 4096) fresh random bytes: a view of the pool, valid until the next call. */
export const randomBytes = (count: number): Uint8Array => {
  if (offset + count > pool.length) {
    crypto.getRandomValues(pool)
    offset = 0
  }
  const bytes = pool.subarray(offset, offset + count)
  offset += count
  return bytes
}
