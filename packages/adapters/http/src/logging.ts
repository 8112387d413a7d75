/**
 * Request logs without query strings and without whole licence numbers: a query may hold what must
 * not reach a log (a token pasted into a URL), and a licence number is the holder's citizen ID,
 * date of birth and all, in the path of every holder's page refresh. So the request serializer logs
 * the method, the path with each licence number masked to its region and its last four characters
 * (enough to tell requests apart), and the remote address only, whatever logger options the caller
 * gave.
 *
 * @example
 * Fastify({ logger: withoutQueryStrings({ level: 'info' }) })
 * // {"req":{"method":"GET","url":"/licences/110105********002X/verification","remoteAddress":"127.0.0.1"},…}
 */
import type { FastifyServerOptions } from 'fastify'

type LoggerOption = Exclude<FastifyServerOptions['logger'], undefined>

interface LoggedRequest {
  readonly method: string
  readonly url: string
  readonly ip?: string
}

export const pathOf = (url: string): string => url.split('?')[0] ?? ''

/** Every 18-character citizen ID number in a path, its birth date and sequence masked. */
const maskedLicenceNumbers = (path: string): string =>
  path.replace(/(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9Xx])/g, '$1********$2')

const request = (req: LoggedRequest) => ({
  method: req.method,
  url: maskedLicenceNumbers(pathOf(req.url)),
  ...(req.ip === undefined ? {} : { remoteAddress: req.ip }),
})

export const withoutQueryStrings = (logger: LoggerOption | undefined): LoggerOption => {
  if (logger === false || logger === undefined) return false
  const options = logger === true ? {} : logger
  return { ...options, serializers: { ...options.serializers, req: request } }
}
