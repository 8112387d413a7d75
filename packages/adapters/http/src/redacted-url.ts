/**
 * A store URL as it may be printed or logged: a password in a connection string (`postgres://app:
 * secret@host/db`) must not be. The service's banner and every CLI message name stores this way.
 *
 * @example
 * redactStoreUrl('postgres://app:secret@db/elicence') // 'postgres://app:***@db/elicence'
 */
export const redactStoreUrl = (url: string): string =>
  url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, '$1:***@')
