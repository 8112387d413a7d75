import { createHash } from 'node:crypto'
import { inMemoryReadModelStore } from '../read-models/in-memory.js'
import { transparencyLogConformance } from '../testing/transparency-log-conformance.js'

transparencyLogConformance(
  'in-memory',
  async () => inMemoryReadModelStore(),
  (data) => new Uint8Array(createHash('sha256').update(data).digest()),
)
