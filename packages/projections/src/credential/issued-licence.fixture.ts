/**
 * What the credential tests start from: an e-licence issued by the shortest history that issues one
 * (recorded with a photo on file, applied, reviewed three days on), the instant a minute after its
 * issue, and P-256 device keys as a holder's page makes them. A fixture, not shipped.
 *
 * @example
 * const { view, issuedAt } = await issuedLicence()
 * credentialIssuer({ keys, issuer })(view, { holderKey, status, now: issuedAt })
 */
import { decodeHistory, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceView, eLicenceView } from '../views/e-licence.js'
import { foldView } from '../views/view.js'

export const issuedLicence = async (): Promise<{
  readonly view: ELicenceView
  readonly issuedAt: number
}> => {
  const { events } = await runHistoryScript({
    licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
    steps: [
      { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
      { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
    ],
  })
  const view = foldView(eLicenceView, decodeHistory(events))
  if (view === null || view.state !== 'issued') throw new Error('the history did not issue an e-licence')
  return { view, issuedAt: Date.parse(view.updatedAt) + 60_000 }
}

/** A device key pair as the holder's page makes one (P-256, the private key not extractable). */
export const p256DeviceKey = async (): Promise<CryptoKeyPair> =>
  (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
