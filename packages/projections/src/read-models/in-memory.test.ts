import { readModelStoreConformance } from '../testing/read-model-store-conformance.js'
import { inMemoryReadModelStore } from './in-memory.js'

// One store across a test's steps: `open` returns the same instance until it is closed.
readModelStoreConformance('in-memory', async () => inMemoryReadModelStore())
