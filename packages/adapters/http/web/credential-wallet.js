// The holder's side of the SD-JWT VC (DESIGN §6), in the browser: a P-256 device key made by Web
// Crypto as non-extractable (the private key can sign but can never be read out, not even by this
// page) and kept in IndexedDB, the credential the service issued to it, and presentations: the
// issuer-signed JWT, the chosen disclosures, and a Key Binding JWT (`typ: kb+jwt`: `iat`, `aud`,
// `nonce`, `sd_hash`) signed by the device key. Nothing here leaves the phone but the public key.
//
// Example:
//   const device = await deviceKey('11010519491231002X')
//   const text = await presentation(credential, ['masked_name', 'driving_privileges'], device.privateKey, location.origin)

const databaseName = 'elicence-wallet'
const storeName = 'records'

const openDatabase = () =>
  new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(storeName)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

const withStore = async (mode, use) => {
  const db = await openDatabase()
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(storeName, mode)
      const request = use(transaction.objectStore(storeName))
      transaction.oncomplete = () => resolve(request.result)
      transaction.onerror = () => reject(transaction.error)
    })
  } finally {
    db.close()
  }
}

export const readRecord = (key) => withStore('readonly', (store) => store.get(key))
export const writeRecord = (key, value) => withStore('readwrite', (store) => store.put(value, key))

/** The device key of this phone for a licence: made once, never extractable. */
export const deviceKey = async (licence) => {
  const key = `device-key:${licence}`
  const existing = await readRecord(key)
  if (existing) return existing
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey)
  const record = {
    privateKey: pair.privateKey,
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
  }
  await writeRecord(key, record)
  return record
}

const encoder = new TextEncoder()

export const base64url = (bytes) => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

const fromBase64url = (text) => {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
  return Uint8Array.from(binary, (character) => character.charCodeAt(0))
}

const jsonPart = (value) => base64url(encoder.encode(JSON.stringify(value)))

/** The claims of the issuer-signed JWT (for `exp`), read, not verified: the service signed it. */
export const credentialClaims = (credential) => {
  const jwt = credential.split('~')[0]
  return JSON.parse(new TextDecoder().decode(fromBase64url(jwt.split('.')[1])))
}

/** The disclosures of a credential, by claim name. */
export const disclosuresOf = (credential) =>
  credential
    .split('~')
    .slice(1)
    .filter((part) => part !== '')
    .map((encoded) => {
      const [, name, value] = JSON.parse(new TextDecoder().decode(fromBase64url(encoded)))
      return { encoded, name, value }
    })

const randomNonce = () => base64url(crypto.getRandomValues(new Uint8Array(12)))

/**
 * A presentation of the credential disclosing `names`, bound to this device key and this moment,
 * and to the verifier's check code when the holder typed one (its `nonce`; else a random one).
 */
export const presentation = async (credential, names, privateKey, audience, nonce = randomNonce()) => {
  const now = Date.now()
  const jwt = credential.split('~')[0]
  const chosen = disclosuresOf(credential).filter((disclosure) => names.includes(disclosure.name))
  const withoutKb = `${[jwt, ...chosen.map((disclosure) => disclosure.encoded)].join('~')}~`
  const sdHash = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(withoutKb))))
  const signingInput = `${jsonPart({ alg: 'ES256', typ: 'kb+jwt' })}.${jsonPart({
    iat: Math.floor(now / 1000),
    aud: audience,
    nonce,
    sd_hash: sdHash,
  })}`
  // Web Crypto's ECDSA signature is r ‖ s, exactly the JWS form (RFC 7518 §3.4).
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    encoder.encode(signingInput),
  )
  return `${withoutKb}${signingInput}.${base64url(new Uint8Array(signature))}`
}
