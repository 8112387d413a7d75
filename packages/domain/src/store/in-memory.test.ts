import { eventStoreConformance } from '../testing/conformance.js'
import { inMemoryEventStore } from './in-memory.js'

// Memory has no storage to reopen or edit in place, so the restart and tampering cases do not apply.
eventStoreConformance('in-memory', { open: async () => inMemoryEventStore() })
