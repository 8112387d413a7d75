// The functions of sodium-native (libsodium's bindings; no types of its own) that the signature
// backend calls.
declare module 'sodium-native' {
  const sodium: {
    /** libsodium's `crypto_sign_verify_detached`: whether `signature` is `publicKey`'s Ed25519 signature of `message`. */
    readonly crypto_sign_verify_detached: (
      signature: Uint8Array,
      message: Uint8Array,
      publicKey: Uint8Array,
    ) => boolean
    /** libsodium's `crypto_core_ed25519_is_valid_point`: a canonical point of the prime-order subgroup, not of small order. */
    readonly crypto_core_ed25519_is_valid_point: (point: Uint8Array) => boolean
  }
  export default sodium
}
