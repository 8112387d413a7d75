// Request logs never carry a query string (a query may hold a secret pasted into a URL), nor a whole
// licence number (the holder's citizen ID). The service's own logger options are kept; only the
// request serializer is ours.
import { chinaMainlandCalendar, inMemoryEventStore, licenceDecider } from '@elicence/domain'
import { describe, expect, it } from 'vitest'
import { createServer } from './server.js'
import { licenceNumber, testIssuerKeys, testTokens, testTokenTable } from './test-support/test-server.js'

describe('request logs', () => {
  it('name the path, never the query string nor a whole licence number', async () => {
    const lines: string[] = []
    const app = createServer({
      store: inMemoryEventStore(),
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
      tokens: testTokenTable(),
      issuerKeys: await testIssuerKeys(),
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    })
    try {
      await app.inject({
        method: 'GET',
        url: `/licences/${licenceNumber}/verification?at=2026-10-16T10:00:00Z&token=s3cret-pasted-here`,
        headers: { authorization: `Bearer ${testTokens.verifier}` },
      })
      await app.inject({ method: 'GET', url: '/no-such-route?token=s3cret-pasted-here' })
    } finally {
      await app.close()
    }
    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.req !== undefined)
    expect(requests.map((entry) => entry.req.url)).toEqual([
      `/licences/${licenceNumber.slice(0, 6)}********${licenceNumber.slice(14)}/verification`,
      '/no-such-route',
    ])
    expect(lines.join('\n')).not.toContain('s3cret')
    expect(lines.join('\n')).not.toContain(licenceNumber)
  })
})
