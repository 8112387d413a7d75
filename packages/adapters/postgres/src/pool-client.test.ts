// Rolling back after a failed query: only where the server answered it. After the client's own
// deadline or a lost connection a ROLLBACK would wait out the deadline again (the doubled wait of
// issue 9's leftovers): the connection is dropped instead, with no query sent on it.
import { DatabaseError, type PoolClient } from 'pg'
import { describe, expect, it } from 'vitest'
import { rollBackAfter } from './pool-client.js'

/** A client that records what is sent on it; its ROLLBACK fails when `rollbackFails`. */
const recordingClient = (rollbackFails = false) => {
  const sent: string[] = []
  const client = {
    query: async (text: string) => {
      sent.push(text)
      if (rollbackFails) throw new Error('Connection terminated')
      return { rows: [] }
    },
  } as unknown as PoolClient
  return { client, sent }
}

const answeredByServer = () => new DatabaseError('canceling statement due to statement timeout', 0, 'error')

describe('rollBackAfter', () => {
  it('rolls back on a connection whose server answered the failed query, and keeps it', async () => {
    const { client, sent } = recordingClient()
    expect(await rollBackAfter(client, answeredByServer())).toBe(false)
    expect(sent).toEqual(['ROLLBACK'])
  })

  it('sends nothing after the client’s own deadline or a lost connection, and drops the connection', async () => {
    for (const error of [
      new Error('Query read timeout'),
      new Error('Connection terminated unexpectedly'),
      'odd',
    ]) {
      const { client, sent } = recordingClient()
      expect(await rollBackAfter(client, error)).toBe(true)
      expect(sent).toEqual([])
    }
  })

  it('drops a connection whose ROLLBACK fails', async () => {
    const { client, sent } = recordingClient(true)
    expect(await rollBackAfter(client, answeredByServer())).toBe(true)
    expect(sent).toEqual(['ROLLBACK'])
  })
})
