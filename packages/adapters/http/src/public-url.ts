/**
 * The service's public URL: where holders and verifiers reach it, the `iss` of its credentials, and
 * (its host) the origin of its transparency log. Checked once here for every place that takes one
 * (`elicence serve`, `elicence keys`), so a value one refuses the other does not write into a key.
 *
 * @example
 * checkedPublicUrl('https://licences.example.cn/') // right('https://licences.example.cn')
 * checkedPublicUrl('notaurl')                      // left('public URL "notaurl" is not an http(s) URL')
 */
import * as E from 'fp-ts/lib/Either.js'

/** The origin of a log whose service answers at `http://localhost:3000` unless told its public URL. */
export const defaultPublicUrl = 'http://localhost:3000'

/** `url` without trailing slashes if it is an http(s) URL with a host; else why not. */
export const checkedPublicUrl = (url: string): E.Either<string, string> => {
  const trimmed = url.replace(/\/+$/, '')
  return /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(trimmed)
    ? E.right(trimmed)
    : E.left(`public URL ${JSON.stringify(trimmed)} is not an http(s) URL`)
}
