/**
 * A holder's side of DESIGN §6, for wallets written in TypeScript and for tests: a presentation of
 * the credential with the chosen disclosures and a Key Binding JWT (`typ: kb+jwt`, `iat`, `aud`,
 * `nonce`, `sd_hash`) signed by the device key, made by `@sd-jwt/sd-jwt-vc`'s `present`. The
 * holder's web page does the same with Web Crypto in the browser.
 *
 * @example
 * const text = await presentCredential(credential, {
 *   disclose: defaultDisclosures, deviceKey: privateKey, algorithm: 'ES256',
 *   audience: 'https://elicence.example', nonce: 'n-0S6_WzA2Mj', now: Date.now(),
 * })
 */
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import type { Signer } from '@sd-jwt/types'
import { base64url } from 'jose'
import type { DisclosableClaim } from './claims.js'
import { type Sha256, saltGenerator, sdJwtHasher } from './sd-jwt.js'

export interface PresentOptions {
  readonly disclose: ReadonlyArray<DisclosableClaim>
  /** The device's private key (ES256 for P-256, EdDSA for Ed25519). */
  readonly deviceKey: CryptoKey
  readonly algorithm: 'ES256' | 'EdDSA'
  readonly audience: string
  readonly nonce: string
  /** The holder's clock, epoch milliseconds: the KB-JWT's `iat`. */
  readonly now: number
  readonly sha256?: Sha256
}

const encoder = new TextEncoder()

const deviceSigner =
  (key: CryptoKey, algorithm: PresentOptions['algorithm']): Signer =>
  async (data) => {
    const params = algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }
    return base64url.encode(new Uint8Array(await crypto.subtle.sign(params, key, encoder.encode(data))))
  }

export const presentCredential = (credential: string, options: PresentOptions): Promise<string> => {
  const sdJwt = new SDJwtVcInstance({
    hasher: sdJwtHasher(options.sha256),
    hashAlg: 'sha-256',
    saltGenerator,
    kbSigner: deviceSigner(options.deviceKey, options.algorithm),
    kbSignAlg: options.algorithm,
  })
  return sdJwt.present(credential, Object.fromEntries(options.disclose.map((claim) => [claim, true])), {
    kb: {
      payload: { iat: Math.floor(options.now / 1000), aud: options.audience, nonce: options.nonce },
    },
  })
}
