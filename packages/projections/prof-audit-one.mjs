// Profile: one partition (of 1) audited in this thread, with leaves, over the first N events' streams.

import { nodeSha256, nodeSha256Hex } from '@elicence/projections/node'
import { sqliteEventStore } from '/work/main/packages/adapters/sqlite/dist/index.js'
import { auditPartition } from '/work/main/packages/projections/dist/audit/partition-audit.js'

const path = process.argv[2] ?? '/tmp/elicence-bench-replay/history-100000-v1.db'
const count = Number(process.argv[3] ?? 10)
const store = sqliteEventStore({ path })
const started = performance.now()
let leaves = 0
const r = await auditPartition(store, {
  partition: { index: 0, count },
  digest: nodeSha256Hex,
  leaves: {
    sha256: nodeSha256,
    onBatch: (b) => {
      leaves += b.positions.length
    },
  },
})
const s = (performance.now() - started) / 1000
console.log(
  r._tag,
  r.right?.counts.events,
  r.right?.counts.anomalies,
  leaves,
  `${s.toFixed(2)} s`,
  `${Math.round(r.right.counts.events / s)} ev/s`,
)
await store.close()
