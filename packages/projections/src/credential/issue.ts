/**
 * Issuing the e-licence credential (DESIGN §6): an SD-JWT VC (RFC 9901, draft-ietf-oauth-sd-jwt-vc)
 * made by the OpenWallet Foundation's `@sd-jwt/sd-jwt-vc`: header `typ: dc+sd-jwt`, `alg: EdDSA`,
 * `kid`; claims `iss`, `iat`, `exp`, `vct`, `cnf.jwk` (the holder device's key) and
 * `status.status_list { idx, uri }`, and every claim of `credentialClaims` selectively disclosable on
 * its own. Only a valid e-licence is issued; an abnormal one (suspended in the status list) still is,
 * as the app still shows it, in red.
 *
 * @example
 * const refusal = credentialRefusal(view, now)   // null, or the reasons it cannot be issued
 * const issue = credentialIssuer({ keys, issuer: 'https://elicence.example' })
 * await issue(view, { holderKey, status: { idx: 4711, uri }, now }) // the SD-JWT VC, ending in '~'
 */
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import type { DisclosureFrame } from '@sd-jwt/types'
import type { ELicenceView, ELicenceViewState } from '../views/e-licence.js'
import { type VerificationReason, verifyAt } from '../views/verification.js'
import {
  type CredentialClaims,
  credentialClaims,
  disclosableClaims,
  eLicenceCredentialType,
} from './claims.js'
import { confirmationKeyOf, type HolderKey } from './holder-key.js'
import { type IssuerSigningKey, issuerAlgorithm } from './issuer-keys.js'
import { ed25519Signer, type Sha256, saltGenerator, sdJwtHasher } from './sd-jwt.js'

/** How long a credential lives unless the licence expires first: the page renews it before then. */
export const defaultCredentialLifetimeSeconds = 30 * 24 * 60 * 60

export interface StatusReference {
  readonly idx: number
  readonly uri: string
}

/** Why no credential can be issued now: the verification reasons, or null when one can. */
export const credentialRefusal = (
  view: ELicenceViewState,
  atMs: number,
):
  | { readonly view: null; readonly reasons: ReadonlyArray<VerificationReason> }
  | { readonly view: ELicenceView; readonly reasons: null } => {
  const verification = verifyAt(view, atMs)
  return view !== null && view.eLicenceId !== null && verification.eLicence === 'valid'
    ? { view, reasons: null }
    : { view: null, reasons: verification.reasons }
}

export interface CredentialIssuerOptions {
  readonly keys: IssuerSigningKey
  /**
   * The service's public URL: `iss`, and where verifiers find `/.well-known/jwt-vc-issuer`; a
   * function when it is known only once the service listens.
   */
  readonly issuer: string | (() => string)
  readonly lifetimeSeconds?: number
  readonly sha256?: Sha256
  /**
   * Signs the JWS signing input with the issuer key (base64url signature); default Web Crypto with
   * `keys.signingKey`. A server passes a synchronous one (node's `crypto.sign`), saving a thread-pool
   * round trip per credential.
   */
  readonly sign?: (signingInput: string) => string | Promise<string>
}

export interface IssueRequest {
  readonly holderKey: HolderKey
  readonly status: StatusReference
  /** The instant of issue, epoch milliseconds (the server's clock). */
  readonly now: number
}

// The library's payload type is an open record; ours says which claims it has.
type CredentialPayload = Record<string, unknown> &
  CredentialClaims & {
    readonly iss: string
    readonly iat: number
    readonly exp: number
    readonly vct: string
    readonly cnf: { readonly jwk: Record<string, string> }
    readonly status: { readonly status_list: StatusReference }
  }

const disclosureFrame = { _sd: [...disclosableClaims] } as unknown as DisclosureFrame<CredentialPayload>

/** The first second of the day after `validUntil` in Asia/Shanghai: when the licence expires. */
const licenceExpirySeconds = (validUntil: string): number | undefined =>
  validUntil === 'long-term' ? undefined : Date.parse(`${validUntil}T00:00:00+08:00`) / 1000 + 24 * 60 * 60

export type CredentialIssuer = (view: ELicenceView, request: IssueRequest) => Promise<string>

/** An issuer bound to its key; it throws only when Web Crypto fails to sign (a broken key). */
export const credentialIssuer = (options: CredentialIssuerOptions): CredentialIssuer => {
  const sdJwt = new SDJwtVcInstance({
    signer: options.sign ?? ed25519Signer(options.keys.signingKey),
    signAlg: issuerAlgorithm,
    hasher: sdJwtHasher(options.sha256),
    hashAlg: 'sha-256',
    saltGenerator,
  })
  const lifetime = options.lifetimeSeconds ?? defaultCredentialLifetimeSeconds
  return (view, request) => {
    const iat = Math.floor(request.now / 1000)
    const licenceEnd = licenceExpirySeconds(view.validUntil)
    const payload: CredentialPayload = {
      iss: typeof options.issuer === 'string' ? options.issuer : options.issuer(),
      iat,
      exp: Math.min(iat + lifetime, licenceEnd ?? Number.POSITIVE_INFINITY),
      vct: eLicenceCredentialType,
      cnf: { jwk: confirmationKeyOf(request.holderKey) },
      status: { status_list: { idx: request.status.idx, uri: request.status.uri } },
      ...credentialClaims(view, request.now),
    }
    return sdJwt.issue(payload, disclosureFrame, { header: { kid: options.keys.kid } })
  }
}
