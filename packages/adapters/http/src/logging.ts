/**
 * Request logs without query strings: a query may hold what must not reach a log (a token pasted
 * into a URL, a licence number in `?asOf=` requests' neighbours), so the request serializer logs
 * the method, the path and the remote address only, whatever logger options the caller gave.
 *
 * @example
 * Fastify({ logger: withoutQueryStrings({ level: 'info' }) })
 * // {"req":{"method":"GET","url":"/licences/…/verification","remoteAddress":"127.0.0.1"},…}
 */
import type { FastifyServerOptions } from 'fastify'

type LoggerOption = Exclude<FastifyServerOptions['logger'], undefined>

interface LoggedRequest {
  readonly method: string
  readonly url: string
  readonly ip?: string
}

export const pathOf = (url: string): string => url.split('?')[0] ?? ''

const request = (req: LoggedRequest) => ({
  method: req.method,
  url: pathOf(req.url),
  ...(req.ip === undefined ? {} : { remoteAddress: req.ip }),
})

export const withoutQueryStrings = (logger: LoggerOption | undefined): LoggerOption => {
  if (logger === false || logger === undefined) return false
  const options = logger === true ? {} : logger
  return { ...options, serializers: { ...options.serializers, req: request } }
}
