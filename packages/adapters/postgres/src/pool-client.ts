/**
 * Checking a client out of a pg Pool safely. While a client is checked out, the pool stops
 * listening for its errors; a server that dies (or is restarted) sends every connection a FATAL
 * message, and one that arrives between two queries is emitted as an 'error' event that, with no
 * listener, crashes the process. The listener here only keeps the process alive: the next query on
 * the dead connection fails, and the caller reports that failure and releases the client as broken.
 *
 * @example
 * const client = await checkOut(pool)
 * try { await client.query('BEGIN') … } finally { release(client, broken) }
 */
import type { Pool, PoolClient } from 'pg'

const reportedByTheNextQuery = () => undefined

export const checkOut = async (pool: Pool): Promise<PoolClient> => {
  const client = await pool.connect()
  client.on('error', reportedByTheNextQuery)
  return client
}

/** Back to the pool (an idle client is the pool's to watch again), or destroyed when `broken`. */
export const release = (client: PoolClient, broken: boolean): void => {
  client.off('error', reportedByTheNextQuery)
  client.release(broken)
}
