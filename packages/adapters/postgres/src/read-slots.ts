/**
 * How many of the pool's connections the event store's reads may hold at once: all but a few, kept
 * for writes. Reads queue for the pool's connections in the order they ask, as writes do; many long
 * reads (a projection catching up, an export, a burst of stream reads) would otherwise take every
 * connection, and a command arriving behind them would wait out `connect_timeout` and fail although
 * the server was answering. With a few connections no read may take, an append or a batch of
 * decisions finds one at once; reads beyond their share wait here instead, within the same
 * `connect_timeout` (the wait for a connection it stands for), and one that waits longer fails
 * saying so. A pool of one connection has none to keep: its reads and writes share it.
 *
 * @example
 * const reads = readSlots(pool.options)
 * await reads.run(() => pool.query(readAllStatement([after, limit])))
 */
import type { PoolConfig } from 'pg'

/** Connections of the pool that reads leave to appends and decisions. */
const keptForWrites = 2

export const readSlots = (limits: PoolConfig) => {
  // pg's own default pool size, for a pool the caller made without one.
  const poolSize = limits.max ?? 10
  const readers = Math.max(1, poolSize - keptForWrites)
  const waitMs = limits.connectionTimeoutMillis
  let reading = 0
  const waiting: Array<() => void> = []

  const admitted = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const admit = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer =
        waitMs === undefined || waitMs === 0
          ? undefined
          : setTimeout(() => {
              waiting.splice(waiting.indexOf(admit), 1)
              reject(
                new Error(
                  `no pooled connection became free for a read within ${waitMs} ms (connect_timeout): reads hold the ${readers} of ${poolSize} they may use, the others are kept for writes`,
                ),
              )
            }, waitMs)
      waiting.push(admit)
    })

  /** Runs `read` once it may hold a connection; its slot goes to the longest waiting read after. */
  const run = async <A>(read: () => Promise<A>): Promise<A> => {
    if (reading < readers) reading++
    else await admitted()
    try {
      return await read()
    } finally {
      const next = waiting.shift()
      if (next === undefined) reading--
      else next()
    }
  }
  return { run }
}
