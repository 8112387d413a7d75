/**
 * A store URL as it may be printed or logged: a password in a connection string must not be,
 * wherever it is — the userinfo (`postgres://app:secret@host/db`, an unencoded `@` in it too: the
 * host follows the last one) or a query parameter (`?password=…`, as libpq reads it).
 *
 * @example
 * redactStoreUrl('postgres://app:secret@db/elicence') // 'postgres://app:***@db/elicence'
 * redactStoreUrl('postgres://app@db/elicence?password=secret') // 'postgres://app@db/elicence?password=***'
 */
export const redactStoreUrl = (url: string): string => {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0]
  if (scheme === undefined) return url
  const rest = url.slice(scheme.length)
  const end = rest.search(/[/?#]/)
  const authority = end === -1 ? rest : rest.slice(0, end)
  const after = end === -1 ? '' : rest.slice(end)
  const at = authority.lastIndexOf('@')
  const colon = at === -1 ? -1 : authority.slice(0, at).indexOf(':')
  const shownAuthority = colon === -1 ? authority : `${authority.slice(0, colon)}:***${authority.slice(at)}`
  return `${scheme}${shownAuthority}${after.replace(/([?&]password=)[^&#]*/gi, '$1***')}`
}
