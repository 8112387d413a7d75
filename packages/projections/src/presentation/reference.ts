/**
 * The opaque e-licence reference inside a presentation. The domain derives an e-licence id from the
 * licence number (`EL-<licenceNumber>-<n>`), and the licence number is the holder's citizen ID
 * number, so the id must not travel in clear to whoever scans the QR code. The reference is the id
 * sealed with AES-256-GCM under the issuing service's reference key: `base64url(iv ‖ ciphertext ‖
 * tag)`, with a fresh random 96-bit IV each time, so two presentations of the same e-licence carry
 * unrelated references and a verifier cannot link them either. Only the key's holder opens it.
 *
 * @example
 * const reference = await sealReference('EL-11010519491231002X-1', referenceKey) // Right('q3V…')
 * await openReference(reference.right, referenceKey) // Right('EL-11010519491231002X-1')
 * await openReference(reference.right, anotherKey)   // Left('…not sealed under this reference key')
 */
import * as E from 'fp-ts/lib/Either.js'
import { base64UrlDecode, base64UrlEncode } from './keys.js'

const ivBytes = 12
const tagBytes = 16
/**
 * The id is padded to a multiple of this before sealing: GCM keeps the plaintext's length, which
 * would otherwise tell how many e-licences the holder was issued (the `<n>` of the id).
 */
const paddedBlock = 32
// The ids `eLicenceIdFor` derives never contain NUL, so trailing NULs are padding.
const padding = 0

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const padded = (text: string): Uint8Array<ArrayBuffer> => {
  const bytes = encoder.encode(text)
  const plain = new Uint8Array(Math.max(1, Math.ceil(bytes.length / paddedBlock)) * paddedBlock).fill(padding)
  plain.set(bytes)
  return plain
}

const unpadded = (plain: Uint8Array): string | undefined => {
  let end = plain.length
  while (end > 0 && plain[end - 1] === padding) end--
  try {
    return decoder.decode(plain.subarray(0, end))
  } catch {
    return undefined
  }
}

/** Seals an e-licence id under the reference key; Left with Web Crypto's message if it fails. */
export const sealReference = async (
  eLicenceId: string,
  referenceKey: CryptoKey,
): Promise<E.Either<string, string>> => {
  const iv = crypto.getRandomValues(new Uint8Array(ivBytes))
  try {
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, referenceKey, padded(eLicenceId))
    const reference = new Uint8Array(ivBytes + sealed.byteLength)
    reference.set(iv)
    reference.set(new Uint8Array(sealed), ivBytes)
    return E.right(base64UrlEncode(reference))
  } catch (error) {
    return E.left(`sealing the e-licence reference failed: ${error instanceof Error ? error.message : error}`)
  }
}

/**
 * The e-licence id inside a reference, or Left when the reference was not sealed under this key
 * (another service's, a rotated key) or is not a reference at all. The reason never quotes it.
 */
export const openReference = async (
  reference: string,
  referenceKey: CryptoKey,
): Promise<E.Either<string, string>> => {
  const bytes = base64UrlDecode(reference)
  if (bytes === undefined || bytes.length < ivBytes + tagBytes + paddedBlock)
    return E.left('the e-licence reference is not one this service seals')
  let plain: ArrayBuffer
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(0, ivBytes) },
      referenceKey,
      bytes.subarray(ivBytes),
    )
  } catch {
    return E.left('the e-licence reference was not sealed under this reference key')
  }
  const eLicenceId = unpadded(new Uint8Array(plain))
  return eLicenceId === undefined || eLicenceId.length === 0
    ? E.left('the e-licence reference does not hold an e-licence id')
    : E.right(eLicenceId)
}
