/**
 * A test client for a listening server that checks every response against `/openapi.json`: the
 * status must be documented for the route, and a JSON body must match its schema (ajv, JSON Schema
 * 2020-12 with formats). Every test that talks to the API through it is also a conformance test.
 * Test-only: excluded from the build.
 *
 * @example
 * const api = await apiClient('http://127.0.0.1:40123')
 * const { status, body } = await api.request('GET', '/licences/11010519491231002X', { token })
 */
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS with a `default` export; under NodeNext the default import is the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

export interface ApiResponse {
  readonly status: number
  readonly headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked against the schema, then read freely in tests.
  readonly body: any
}

export interface RequestOptions {
  readonly token?: string
  readonly body?: unknown
  /** Sent as is instead of `JSON.stringify(body)`: text as UTF-8, bytes as they are. */
  readonly rawBody?: string | Uint8Array<ArrayBuffer>
  readonly headers?: Readonly<Record<string, string>>
}

export interface ApiClient {
  readonly baseUrl: string
  readonly request: (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>
  /** How many responses were checked against the document, per "METHOD /template status". */
  readonly checked: ReadonlyMap<string, number>
}

interface Operation {
  readonly responses: Readonly<
    Record<
      string,
      {
        readonly content?: Readonly<Record<string, { readonly schema: unknown }>>
        readonly headers?: Readonly<Record<string, unknown>>
      }
    >
  >
}

const templateMatches = (template: string, path: string): boolean => {
  const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`)
  return pattern.test(path)
}

export const apiClient = async (baseUrl: string): Promise<ApiClient> => {
  const documentResponse = await fetch(`${baseUrl}/openapi.json`)
  const document = (await documentResponse.json()) as {
    readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(document, 'openapi.json')
  const checked = new Map<string, number>()

  const request = async (
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    let body: string | Uint8Array<ArrayBuffer> | undefined
    if (options.rawBody !== undefined) body = options.rawBody
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const text = await response.text()
    const contentType = response.headers.get('content-type') ?? ''
    // HEAD has GET's headers and no body.
    const parsed: unknown =
      method === 'HEAD' ? undefined : contentType.startsWith('application/json') ? JSON.parse(text) : text

    const pathOnly = path.split('?')[0] ?? path
    const template = Object.keys(document.paths).find((candidate) => templateMatches(candidate, pathOnly))
    if (template === undefined) throw new Error(`${method} ${pathOnly} is not in the OpenAPI document`)
    const operation = document.paths[template]?.[method.toLowerCase()]
    if (operation === undefined) throw new Error(`${method} ${template} is not in the OpenAPI document`)
    const documented = operation.responses[String(response.status)]
    if (documented === undefined) {
      throw new Error(`${method} ${template} answered ${response.status}, which is not documented: ${text}`)
    }
    // Every header the document names for this answer is sent (HEAD's as GET's).
    for (const name of Object.keys(documented.headers ?? {})) {
      if (!response.headers.has(name))
        throw new Error(`${method} ${template} ${response.status} lacks its documented header ${name}`)
    }
    const schema = documented.content?.['application/json']?.schema
    if (schema !== undefined && method !== 'HEAD') {
      if (!contentType.startsWith('application/json')) {
        throw new Error(`${method} ${template} ${response.status}: expected JSON, got ${contentType}`)
      }
      const pointer = `openapi.json#/paths/${template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${response.status}/content/application~1json/schema`
      const validate = ajv.getSchema(pointer)
      if (validate === undefined) throw new Error(`no schema at ${pointer}`)
      if (!validate(parsed)) {
        throw new Error(
          `${method} ${template} ${response.status} does not match its schema: ${ajv.errorsText(validate.errors)}\n${text}`,
        )
      }
    }
    const key = `${method} ${template} ${response.status}`
    checked.set(key, (checked.get(key) ?? 0) + 1)
    return { status: response.status, headers: response.headers, body: parsed }
  }

  return { baseUrl, request, checked }
}
