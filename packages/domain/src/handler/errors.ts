/**
 * What the command handler can answer instead of an outcome (DESIGN §4, "Errors"): a domain
 * `LicenceError` — invalid input, a rule's refusal, the handler's own refusals such as a reused
 * command id — or an infrastructure error of the port (`concurrency-conflict`, `store-failure`,
 * `corrupt-event`), passed on whole, with the stream and versions it concerns. `isStoreError` tells
 * them apart, as the port's guards tell its errors apart.
 *
 * @example
 * if (isLeft(outcome) && isStoreError(outcome.left)) retryLater(outcome.left) // else: tell the sender why
 */
import { type LicenceError, type LicenceErrorCode, licenceErrorCodes } from '../licence/errors.js'
import {
  concurrencyConflictCode,
  corruptEventCode,
  isConcurrencyConflict,
  isCorruptEvent,
  isStoreFailure,
  type StoreError,
  storeFailureCode,
} from '../store/port.js'

export type HandlerError = LicenceError | StoreError

export const storeErrorCodes = [concurrencyConflictCode, storeFailureCode, corruptEventCode] as const
export type StoreErrorCode = (typeof storeErrorCodes)[number]

export const handlerErrorCodes = [...licenceErrorCodes, ...storeErrorCodes] as const
export type HandlerErrorCode = LicenceErrorCode | StoreErrorCode

export const isStoreError = (error: { readonly code: string }): error is StoreError =>
  // Total: a store's Left is untrusted (an embedder's adapter may answer with anything).
  typeof error === 'object' &&
  error !== null &&
  (isConcurrencyConflict(error) || isStoreFailure(error) || isCorruptEvent(error))

export const isLicenceError = (error: HandlerError): error is LicenceError => !isStoreError(error)
