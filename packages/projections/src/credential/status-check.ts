/**
 * The status part of verifying a presentation: the Token Status List the credential names
 * (`status.status_list { idx, uri }`), fetched, its signature checked against the issuer's keys,
 * its `typ`, `sub` (the URI asked for) and `exp` checked, its bits read with
 * `@sd-jwt/jwt-status-list`. A list that cannot be fetched or trusted is `status-unavailable`: an
 * online verifier fails closed. Lists are cached by their JWT, so one fetched for its ttl is
 * verified and inflated once, not once per presentation.
 *
 * @example
 * const statusOf = statusChecker({ keySet, statusList: async (uri) => E.right(await (await fetch(uri)).text()) })
 * await statusOf(payload.status, nowSeconds) // { status: 'invalid', reasons: ['status-invalid'] }
 */
import { decodeJwt } from '@sd-jwt/decode'
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list'
import * as E from 'fp-ts/lib/Either.js'
import { issuerAlgorithm } from './issuer-keys.js'
import { jwsSignatureValid, type SignatureBackend } from './jws.js'
import { type CredentialStatus, statusOfCode } from './status.js'

export const statusReasons = ['status-invalid', 'status-suspended', 'status-unavailable'] as const
export type StatusReason = (typeof statusReasons)[number]

export type StatusCheck = CredentialStatus | 'unchecked'

/** Fetches a status list JWT by its URI (an HTTP GET, or the issuing service's own lists). */
export type StatusListFetch = (uri: string) => Promise<E.Either<string, string>>

export interface StatusOutcome {
  readonly status: StatusCheck
  readonly reasons: ReadonlyArray<StatusReason>
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

interface VerifiedList {
  readonly sub: string
  readonly exp: number | undefined
  readonly list: ReturnType<typeof getListFromStatusListJWT>
  readonly size: number
}

const statusListCacheSize = 16

/** Offline (no `statusList`): the status is not checked, and says so. */
export const statusChecker = (options: {
  /** The issuer's key of this kid, imported (undefined when it did not import), if it has one. */
  readonly issuerKey: (kid: string) => Promise<unknown> | undefined
  readonly signatures: SignatureBackend
  readonly statusList: StatusListFetch | undefined
}): ((reference: unknown, nowSeconds: number) => Promise<StatusOutcome>) => {
  const { statusList } = options
  if (statusList === undefined) return async () => ({ status: 'unchecked', reasons: [] })
  // A list is fetched for many presentations in a row (a verifier caches it for its ttl): its
  // signature is checked and its bits inflated once per distinct list JWT, not per presentation.
  const lists = new Map<string, VerifiedList | undefined>()
  const readList = async (jwt: string): Promise<VerifiedList | undefined> => {
    if (lists.has(jwt)) return lists.get(jwt)
    let verified: VerifiedList | undefined
    try {
      const { header, payload: claims } = decodeJwt(jwt)
      const key = typeof header.kid === 'string' ? await options.issuerKey(header.kid) : undefined
      const signed =
        key !== undefined && (await jwsSignatureValid(options.signatures, jwt, header, issuerAlgorithm, key))
      if (signed && header.typ === 'statuslist+jwt' && isRecord(claims) && typeof claims.sub === 'string') {
        const list = getListFromStatusListJWT(jwt)
        verified = {
          sub: claims.sub,
          exp: typeof claims.exp === 'number' ? claims.exp : undefined,
          list,
          size: list.statusList.length,
        }
      }
    } catch {
      verified = undefined
    }
    if (lists.size >= statusListCacheSize) lists.delete(lists.keys().next().value ?? '')
    lists.set(jwt, verified)
    return verified
  }

  return async (reference: unknown, nowSeconds: number): Promise<StatusOutcome> => {
    const unavailable = { status: 'unchecked', reasons: ['status-unavailable'] } as const
    const entry = isRecord(reference) && isRecord(reference.status_list) ? reference.status_list : undefined
    const idx = entry?.idx
    const uri = entry?.uri
    if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || typeof uri !== 'string')
      return unavailable
    const fetched = await statusList(uri)
    if (E.isLeft(fetched)) return unavailable
    const list = await readList(fetched.right)
    if (list === undefined || list.sub !== uri || (list.exp !== undefined && list.exp <= nowSeconds))
      return unavailable
    if (idx >= list.size) return unavailable
    const status = statusOfCode(list.list.getStatus(idx))
    const reasons: ReadonlyArray<StatusReason> =
      status === 'invalid' ? ['status-invalid'] : status === 'suspended' ? ['status-suspended'] : []
    return { status, reasons }
  }
}
