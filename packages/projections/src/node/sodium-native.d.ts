// The one function of sodium-native (libsodium's bindings; no types of its own) that the
// signature backend calls.
declare module 'sodium-native' {
  const sodium: {
    /** libsodium's `crypto_sign_verify_detached`: whether `signature` is `publicKey`'s Ed25519 signature of `message`. */
    readonly crypto_sign_verify_detached: (
      signature: Uint8Array,
      message: Uint8Array,
      publicKey: Uint8Array,
    ) => boolean
  }
  export default sodium
}
