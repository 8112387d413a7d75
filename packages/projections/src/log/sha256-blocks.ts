/**
 * SHA-256 (FIPS 180-4 §6.2) in portable JavaScript, for the inputs of the transparency log's tree:
 * a leaf's 33 bytes and a node's 65, one and two blocks. node:crypto hashes a large input faster,
 * but each call into it costs more than hashing a block here (measured on this project's 2-core
 * machine: 1.1 µs against 0.5 µs a leaf), and the auditor hashes two of these per event — a leaf in
 * its partition worker, a node in the thread that builds the tree. `nodeSha256` takes this one for
 * inputs of up to `smallInputBytes`. Checked against node:crypto over random inputs of every length
 * around the block boundaries and the FIPS 180-2 examples (sha256-blocks.test.ts).
 *
 * @example
 * sha256OfBytes(Uint8Array.of(0x61, 0x62, 0x63)) // ba7816bf…f20015ad
 */

/** Inputs this short pad into at most two blocks; above it node:crypto is the faster one. */
export const smallInputBytes = 2 * 64 - 9

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const roundConstants = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])
// §5.3.3: the initial hash value.
const initialHash = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

// One of each per thread, reused by every call: JavaScript runs a call to its end before the next.
const schedule = new Int32Array(64)
const state = new Int32Array(8)
const block = new Uint8Array(64)

/** §6.2.2 on `block`: the message schedule, 64 rounds, and the state added in. */
const compress = (): void => {
  for (let t = 0; t < 16; t++)
    schedule[t] =
      ((block[4 * t] as number) << 24) |
      ((block[4 * t + 1] as number) << 16) |
      ((block[4 * t + 2] as number) << 8) |
      (block[4 * t + 3] as number)
  for (let t = 16; t < 64; t++) {
    const x = schedule[t - 15] as number
    const y = schedule[t - 2] as number
    const sigma0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const sigma1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    schedule[t] = (sigma1 + (schedule[t - 7] as number) + sigma0 + (schedule[t - 16] as number)) | 0
  }
  let a = state[0] as number
  let b = state[1] as number
  let c = state[2] as number
  let d = state[3] as number
  let e = state[4] as number
  let f = state[5] as number
  let g = state[6] as number
  let h = state[7] as number
  for (let t = 0; t < 64; t++) {
    const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const choose = g ^ (e & (f ^ g))
    const t1 = (h + sum1 + choose + (roundConstants[t] as number) + (schedule[t] as number)) | 0
    const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const majority = (a & b) | (c & (a | b))
    const t2 = (sum0 + majority) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  state[0] = ((state[0] as number) + a) | 0
  state[1] = ((state[1] as number) + b) | 0
  state[2] = ((state[2] as number) + c) | 0
  state[3] = ((state[3] as number) + d) | 0
  state[4] = ((state[4] as number) + e) | 0
  state[5] = ((state[5] as number) + f) | 0
  state[6] = ((state[6] as number) + g) | 0
  state[7] = ((state[7] as number) + h) | 0
}

/** SHA-256 of any bytes (§5.1.1 padding, then a block at a time); meant for short ones. */
export const sha256OfBytes = (data: Uint8Array): Uint8Array => {
  state.set(initialHash)
  const length = data.length
  let at = 0
  for (; at + 64 <= length; at += 64) {
    block.set(data.subarray(at, at + 64))
    compress()
  }
  // The rest, the 0x80 byte, zeros, and the length in bits as 64 bits big-endian: one block or two.
  const rest = length - at
  block.fill(0)
  block.set(data.subarray(at), 0)
  block[rest] = 0x80
  if (rest >= 56) {
    compress()
    block.fill(0)
  }
  const bits = length * 8
  // Lengths below 2^53 bits: the high word from a division, the low one from the remainder.
  const high = Math.floor(bits / 0x1_0000_0000)
  const low = bits >>> 0
  block[56] = high >>> 24
  block[57] = high >>> 16
  block[58] = high >>> 8
  block[59] = high
  block[60] = low >>> 24
  block[61] = low >>> 16
  block[62] = low >>> 8
  block[63] = low
  compress()
  const digest = new Uint8Array(32)
  for (let word = 0; word < 8; word++) {
    const value = state[word] as number
    digest[4 * word] = value >>> 24
    digest[4 * word + 1] = value >>> 16
    digest[4 * word + 2] = value >>> 8
    digest[4 * word + 3] = value
  }
  return digest
}
