/**
 * Checking a client out of a pg Pool safely. While a client is checked out, the pool stops
 * listening for its errors; a server that dies (or is restarted) sends every connection a FATAL
 * message, and one that arrives between two queries is emitted as an 'error' event that, with no
 * listener, crashes the process. The listener here only keeps the process alive: the next query on
 * the dead connection fails, and the caller reports that failure and releases the client as broken.
 *
 * After a failed query inside a transaction, `rollBackAfter` rolls back only when the server
 * answered that query (a `DatabaseError`): then the connection is alive and ROLLBACK returns at
 * once. Any other failure — the client's own deadline, a connection lost — says nothing answers
 * on it: a ROLLBACK there would wait out the whole deadline a second time, and the connection is
 * dropped instead (the server rolls back what it had when it sees the connection go).
 *
 * @example
 * const client = await checkOut(pool)
 * try { await client.query('BEGIN') … } catch (error) { broken = await rollBackAfter(client, error) }
 * finally { release(client, broken) }
 */
import { DatabaseError, type Pool, type PoolClient } from 'pg'

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

/** Rolls back after `error` where the server can still answer; true when the client must be dropped. */
export const rollBackAfter = async (client: PoolClient, error: unknown): Promise<boolean> => {
  if (!(error instanceof DatabaseError)) return true
  try {
    await client.query('ROLLBACK')
    return false
  } catch {
    return true
  }
}
