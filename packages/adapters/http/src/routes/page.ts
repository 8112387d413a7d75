/**
 * The web pages, plain HTML/CSS/JS from the package's `web/` folder (no build step): the holder's
 * live e-licence at `/` and the verifier's page at `/verify`. Both read their bearer token and the
 * licence number from the URL fragment (`/#licence=…&token=…`), which browsers never send to a
 * server, and then call the JSON API like any other client.
 *
 * @example
 * // GET / → 200 text/html (the holder's e-licence); GET /assets/holder.js → 200 text/javascript
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

/** `web/` sits beside `src/` and `dist/`, so the same relative URL works from either. */
const webFolder = new URL('../../web/', import.meta.url)

interface Asset {
  readonly body: string
  readonly contentType: string
}

const load = (name: string, contentType: string): Asset => ({
  body: readFileSync(new URL(name, webFolder), 'utf8'),
  contentType,
})

/**
 * Only the page's own scripts and styles, plus `data:` images (the QR codes). Inline script is
 * never needed, so an injected one would not run.
 */
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Every page and asset, by path: the routes below and their entries in the OpenAPI document. */
export const webFiles = {
  '/': {
    file: 'holder.html',
    mediaType: 'text/html',
    summary: 'The holder’s live e-licence (token and licence number in the URL fragment)',
  },
  '/verify': {
    file: 'verifier.html',
    mediaType: 'text/html',
    summary: 'The verifier’s page: paste or scan a presentation',
  },
  '/assets/style.css': { file: 'style.css', mediaType: 'text/css', summary: 'The pages’ style sheet' },
  '/assets/holder.js': {
    file: 'holder.js',
    mediaType: 'text/javascript',
    summary: 'The holder’s page script',
  },
  '/assets/verifier.js': {
    file: 'verifier.js',
    mediaType: 'text/javascript',
    summary: 'The verifier’s page script',
  },
  // Imported by both pages' scripts.
  '/assets/local-time.js': {
    file: 'local-time.js',
    mediaType: 'text/javascript',
    summary: 'Local time formatting, shared by both scripts',
  },
} as const

export const registerPageRoutes = (app: FastifyInstance): void => {
  const pages: Readonly<Record<string, Asset>> = Object.fromEntries(
    Object.entries(webFiles).map(([path, { file, mediaType }]) => [
      path,
      load(file, `${mediaType}; charset=utf-8`),
    ]),
  )
  for (const [path, asset] of Object.entries(pages)) {
    app.get(path, async (_request, reply) =>
      reply
        .header('content-type', asset.contentType)
        .header('content-security-policy', contentSecurityPolicy)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        // A cached page could show a stale licence; the pages are small.
        .header('cache-control', 'no-store')
        .send(asset.body),
    )
  }
}
