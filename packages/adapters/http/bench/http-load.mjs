// A lean HTTP/1.1 load generator for the benchmarks: `connections` keep-alive sockets (node:net,
// Nagle off), each sending one request and waiting for its whole response before the next (no
// pipelining), for `durationMs`. Requests are whole prebuilt buffers (`nextRequest()`), so a
// request costs the client one write and the reads of its response: about a fifth of autocannon's
// CPU per request when each request has its own body, which matters where client and service share
// the machine's two cores. Responses are parsed for real: the status line, every header line, and
// a body framed by Content-Length or chunked encoding; `Connection: close` is honoured (a new
// socket replaces it); bytes beyond one response, or a response that does not parse, count as an
// error and drop the socket. Latency is from the write to the last byte of the response.
//
// @example
// const result = await httpLoad({ host, port, connections: 10, durationMs: 10_000,
//   nextRequest: () => requestBytes('POST', '/presentations/verify', headers, body),
//   onResponse: (status, body) => { … } })
// result // { total, non2xx, errors, perSecond, p50, p99, max } (latencies in ms)
import { connect } from 'node:net'

const endOfHead = Buffer.from('\r\n\r\n')

/** One request as bytes: `Content-Length` is counted from the body, `Host` given by the caller. */
export const requestBytes = (method, path, headers, body = '') => {
  const bodyBytes = Buffer.from(body)
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  return Buffer.concat([
    Buffer.from(`${method} ${path} HTTP/1.1\r\n${lines.join('')}content-length: ${bodyBytes.length}\r\n\r\n`),
    bodyBytes,
  ])
}

/** A response head: its status and how its body is framed. Throws on what is not HTTP/1.x. */
const parseHead = (head) => {
  const lines = head.split('\r\n')
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(`${lines[0]} `)
  if (status === null) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0])}`)
  let length
  let chunked = false
  let close = false
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]
    const colon = line.indexOf(':')
    if (colon <= 0) throw new Error(`not a header line: ${JSON.stringify(line)}`)
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase()
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) throw new Error(`bad content-length ${JSON.stringify(value)}`)
      length = Number(value)
    } else if (name === 'transfer-encoding')
      chunked = value.split(',').some((coding) => coding.trim() === 'chunked')
    else if (name === 'connection') close = value.split(',').some((option) => option.trim() === 'close')
  }
  return { status: Number(status[1]), length: chunked ? undefined : (length ?? 0), chunked, close }
}

/** A chunked body complete in `buffer` from `start`: `{ body, end }`, or undefined while incomplete. */
const chunkedBody = (buffer, start) => {
  const chunks = []
  let at = start
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at)
    if (lineEnd < 0) return undefined
    const sizeText = buffer.toString('latin1', at, lineEnd).split(';')[0].trim()
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size ${JSON.stringify(sizeText)}`)
    const size = Number.parseInt(sizeText, 16)
    if (size === 0) {
      // The last chunk, then any trailer lines, then an empty line.
      const end = buffer.indexOf(endOfHead, lineEnd)
      return end < 0 ? undefined : { body: Buffer.concat(chunks), end: end + 4 }
    }
    if (buffer.length < lineEnd + 2 + size + 2) return undefined
    chunks.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

export const httpLoad = ({ host, port, connections, durationMs, nextRequest, onResponse }) =>
  new Promise((resolve) => {
    const latencies = []
    let total = 0
    let non2xx = 0
    let errors = 0
    let open = 0
    const started = performance.now()
    const deadline = started + durationMs
    const at = (quantile) =>
      latencies.length === 0
        ? 0
        : latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))]
    const closed = () => {
      if (--open > 0) return
      const seconds = (performance.now() - started) / 1000
      latencies.sort((a, b) => a - b)
      resolve({ total, non2xx, errors, perSecond: total / seconds, p50: at(0.5), p99: at(0.99), max: at(1) })
    }
    const connection = () => {
      open++
      const socket = connect({ host, port, noDelay: true })
      let pending = Buffer.alloc(0)
      let head
      let sentAt = 0
      const send = () => {
        if (performance.now() >= deadline) {
          socket.end()
          return
        }
        head = undefined
        sentAt = performance.now()
        socket.write(nextRequest())
      }
      const broken = () => {
        errors++
        socket.destroy()
      }
      socket.on('connect', send)
      socket.on('error', () => {
        errors++
      })
      socket.on('close', () => {
        // A connection the service closed before the end is replaced.
        if (performance.now() < deadline) connection()
        closed()
      })
      socket.on('data', (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
        try {
          if (head === undefined) {
            const end = pending.indexOf(endOfHead)
            if (end < 0) return
            head = { ...parseHead(pending.toString('latin1', 0, end)), bodyStart: end + 4 }
          }
          let response
          if (head.chunked) response = chunkedBody(pending, head.bodyStart)
          else if (pending.length >= head.bodyStart + head.length)
            response = {
              body: pending.subarray(head.bodyStart, head.bodyStart + head.length),
              end: head.bodyStart + head.length,
            }
          if (response === undefined) return
          // One request is in flight: bytes past its response answer nothing that was asked.
          if (response.end !== pending.length) return broken()
          pending = Buffer.alloc(0)
          total++
          latencies.push(performance.now() - sentAt)
          if (head.status < 200 || head.status > 299) non2xx++
          onResponse?.(head.status, response.body)
          if (head.close) socket.end()
          else send()
        } catch {
          broken()
        }
      })
    }
    for (let index = 0; index < connections; index++) connection()
  })
