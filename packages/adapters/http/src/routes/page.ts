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
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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

const require = createRequire(import.meta.url)

/**
 * The QR libraries the pages use, served from the installed packages (never a CDN): `uqr` encodes
 * on the holder's page (its ES module build sits beside the CommonJS entry `require` resolves) and
 * `jsqr` decodes camera frames on the verifier's page.
 */
const vendored = (resolved: string, contentType: string): Asset => ({
  body: readFileSync(resolved, 'utf8'),
  contentType,
})

/**
 * Only the page's own scripts and styles, plus `data:` images (the QR codes). Inline script is
 * never needed, so an injected one would not run.
 */
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * What the pages may ask the browser for: the camera on the verifier's page only (it scans the
 * holder's QR code), nothing else anywhere, so a script that got in could not turn on a microphone,
 * a location or the camera of the holder's page.
 */
const permissionsPolicy = (camera: boolean): string =>
  `camera=(${camera ? 'self' : ''}), microphone=(), geolocation=(), payment=(), usb=(), serial=()`

/** A page or asset: a file of `web/`, or a file of an installed package (resolved when served). */
type WebFile = {
  readonly mediaType: string
  readonly summary: string
  /** The page uses the camera (`permissionsPolicy`). */
  readonly camera?: true
} & ({ readonly file: string } | { readonly vendored: () => string })

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
    camera: true,
  },
  '/assets/style.css': { file: 'style.css', mediaType: 'text/css', summary: 'The pages’ style sheet' },
  '/assets/icon.svg': { file: 'icon.svg', mediaType: 'image/svg+xml', summary: 'The pages’ icon' },
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
  '/assets/credential-wallet.js': {
    file: 'credential-wallet.js',
    mediaType: 'text/javascript',
    summary: 'The holder’s device key and presentations of the credential',
  },
  // Imported by both pages' scripts.
  '/assets/local-time.js': {
    file: 'local-time.js',
    mediaType: 'text/javascript',
    summary: 'Local time formatting, shared by both scripts',
  },
  '/assets/vendor/uqr.mjs': {
    vendored: () => join(dirname(require.resolve('uqr')), 'index.mjs'),
    mediaType: 'text/javascript',
    summary: 'QR encoder (the installed `uqr` package)',
  },
  '/assets/vendor/jsqr.js': {
    vendored: () => require.resolve('jsqr'),
    mediaType: 'text/javascript',
    summary: 'QR decoder for camera frames (the installed `jsqr` package)',
  },
} as const satisfies Readonly<Record<string, WebFile>>

export const registerPageRoutes = (app: FastifyInstance): void => {
  const pages = Object.entries(webFiles).map(([path, entry]: [string, WebFile]) => {
    const contentType = `${entry.mediaType}; charset=utf-8`
    const asset = 'file' in entry ? load(entry.file, contentType) : vendored(entry.vendored(), contentType)
    return { path, asset, permissions: permissionsPolicy(entry.camera === true) }
  })
  for (const { path, asset, permissions } of pages) {
    app.get(path, async (_request, reply) =>
      reply
        .header('content-type', asset.contentType)
        .header('content-security-policy', contentSecurityPolicy)
        .header('permissions-policy', permissions)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        // A cached page could show a stale licence; the pages are small.
        .header('cache-control', 'no-store')
        .send(asset.body),
    )
  }
}
