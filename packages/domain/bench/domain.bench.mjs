// Domain throughput: events folded per second over a long history, decisions per second, and
// parseCommand per second. Imports the built dist/ (root `pnpm bench` builds first).
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import {
  canonicalJson,
  chinaMainlandCalendar,
  defaultStoredEventDecoder,
  fold,
  hashInput,
  licenceDecider,
  parseCommand,
  sha256Hex,
} from '../dist/index.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const licenceNumber = '11010519491231002X'
const authority = { code: '粤A', name: '广东省广州市公安局交通警察支队' }
const recorded = {
  type: 'LicenceRecorded',
  data: {
    licenceNumber,
    holder: { accountId: 'acct-1', name: '张三' },
    classes: ['C1'],
    validFrom: '2020-03-15',
    validUntil: 'long-term',
    authority,
    statuses: ['A'],
    photoOnFile: true,
  },
}
const calendar = { id: 'cn-state-council', version: 'chinese-days@1.5.7', fallback: false }

/** A long history: apply, issue, renew with a class change (invalidating), over and over. */
const longHistory = (cycles) => {
  const events = [recorded]
  for (let n = 1; n <= cycles; n++) {
    const at = '2026-11-26T09:30:00+08:00'
    const classes = n % 2 === 0 ? ['C1'] : ['C1', 'D']
    events.push(
      {
        type: 'ELicenceApplied',
        data: {
          applicationId: `app-${n}`,
          declaredValidFrom: '2020-03-15',
          appliedAt: at,
          reviewDueAt: '2026-11-27T01:30:00.000Z',
          calendar,
        },
      },
      {
        type: 'ELicenceIssued',
        data: {
          applicationId: `app-${n}`,
          eLicenceId: `EL-${licenceNumber}-${n}`,
          classes,
          validFrom: '2020-03-15',
          validUntil: 'long-term',
          authority,
          issuedAt: at,
        },
      },
      {
        type: 'LicenceRenewed',
        data: {
          classes,
          validFrom: '2020-03-15',
          validUntil: 'long-term',
          authority,
          changes: ['class'],
          renewedAt: at,
        },
      },
      {
        type: 'ELicenceInvalidated',
        data: {
          eLicenceId: `EL-${licenceNumber}-${n}`,
          reason: 'renewal',
          changes: ['class'],
          invalidatedAt: at,
        },
      },
    )
  }
  return events
}

const measure = (label, unit, count, run) => {
  run(Math.min(count, 10_000)) // warm-up
  const best = []
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint()
    run(count)
    best.push(Number(process.hrtime.bigint() - start) / 1e9)
  }
  const seconds = Math.min(...best)
  console.log(
    `${label.padEnd(46)} ${(count / seconds / 1e6).toFixed(2).padStart(7)} M ${unit}/s  (best of 5, ${count} per round)`,
  )
}

const history = longHistory(250_000) // 1 000 001 events
measure('fold: events folded (one long history)', 'events', history.length, () => fold(history))

const state = fold([recorded])
const metadata = {
  commandId: '00000000-0000-4000-8000-000000000001',
  at: '2026-11-26T09:30:00+08:00',
  actor: { role: 'holder', id: 'acct-1' },
}
const apply = {
  type: 'ApplyForELicence',
  data: {
    licenceNumber,
    applicationId: 'app-x',
    declaredValidFrom: '2020-03-15',
    faceCheck: { passed: true },
  },
  metadata,
}
const pending = fold([recorded, history[1]])
const review = {
  type: 'ReviewApplication',
  data: { licenceNumber, applicationId: 'app-1' },
  metadata: { ...metadata, at: '2026-11-27T10:00:00+08:00', actor: { role: 'system', id: 'job' } },
}
const renew = {
  type: 'RenewLicence',
  data: { licenceNumber, classes: ['C1', 'D'], validFrom: '2020-03-15', validUntil: 'long-term', authority },
  metadata: { ...metadata, actor: { role: 'registry', id: 'r' } },
}
measure('decide: ApplyForELicence (calendar lookup)', 'decisions', 1_000_000, (n) => {
  for (let i = 0; i < n; i++) decider.decide(apply, state)
})
measure('decide: ReviewApplication (issue)', 'decisions', 1_000_000, (n) => {
  for (let i = 0; i < n; i++) decider.decide(review, pending)
})
measure('decide: RenewLicence (change detection)', 'decisions', 1_000_000, (n) => {
  for (let i = 0; i < n; i++) decider.decide(renew, state)
})
const json = JSON.parse(
  JSON.stringify({
    ...recorded,
    type: 'RecordLicence',
    metadata: { ...metadata, actor: { role: 'registry', id: 'r' } },
  }),
)
measure('parseCommand: RecordLicence (largest command)', 'commands', 300_000, (n) => {
  for (let i = 0; i < n; i++) parseCommand(json)
})
measure('parseCommand: ApplyForELicence', 'commands', 300_000, (n) => {
  for (let i = 0; i < n; i++) parseCommand(apply)
})

// The one decoder checks every stored event's shape (stored-event codec: metadata, hashes) before
// its data; `decodeShaped` is the data alone, so the ratio is what the shape check costs a reader.
const stored = (() => {
  const events = []
  const sealedLog = history.slice(0, 20_000)
  let prevHash = '0'.repeat(64)
  for (const [version, event] of sealedLog.entries()) {
    const hash = (version + 1).toString(16).padStart(64, '0')
    events.push({
      streamId: `licence-${licenceNumber}`,
      version,
      position: version + 1,
      type: event.type,
      data: JSON.parse(JSON.stringify(event.data)),
      metadata: {
        eventId: `event-${version}`,
        commandId: '00000000-0000-4000-8000-000000000001',
        commandHash: 'a'.repeat(64),
        actor: { role: 'registry', id: 'registry-1' },
        at: '2026-11-26T09:30:00+08:00',
        recordedAt: '2026-11-26T01:30:00.000Z',
        schemaVersion: 2,
        rulesVersion: 'bench',
        prevHash,
        hash,
      },
    })
    prevHash = hash
  }
  return events
})()
for (const event of stored)
  if (defaultStoredEventDecoder.decode(event)._tag === 'Left') throw new Error('bench event does not decode')
measure('decode stored events: shape, metadata and data', 'events', stored.length * 10, (n) => {
  for (let i = 0; i < n; i++) defaultStoredEventDecoder.decode(stored[i % stored.length])
})
measure('decode stored events: data only (decodeShaped)', 'events', stored.length * 10, (n) => {
  for (let i = 0; i < n; i++) defaultStoredEventDecoder.decodeShaped(stored[i % stored.length])
})

// What every stored event costs the chain: its RFC 8785 text, then SHA-256 of it. The ratios within
// one run are what count: our serialiser against the `canonicalize` package (kept: see
// canonical-json.ts for why), and the
// portable @noble/hashes digest against node:crypto's (what Node adapters pass) and Web Crypto's.
const issued = history[2]
const storedMetadata = {
  eventId: '00000000-0000-4000-8000-0000000000aa',
  commandId: metadata.commandId,
  commandHash: 'c'.repeat(64),
  actor: { role: 'system', id: 'job' },
  at: '2026-11-27T10:00:00+08:00',
  recordedAt: '2026-11-27T02:00:00.000Z',
  schemaVersion: 2,
  rulesVersion: '1',
  prevHash: 'b'.repeat(64),
}
const hashed = {
  streamId: `licence-${licenceNumber}`,
  version: 2,
  type: issued.type,
  data: issued.data,
  metadata: storedMetadata,
}
if (canonicalJson(hashed) !== canonicalize(hashed)) throw new Error('the serialisers disagree')
measure('canonicalJson (ours)', 'events', 300_000, (n) => {
  for (let i = 0; i < n; i++) canonicalJson(hashed)
})
measure('canonicalize package', 'events', 300_000, (n) => {
  for (let i = 0; i < n; i++) canonicalize(hashed)
})
const text = hashInput(hashed.streamId, hashed.version, hashed.type, hashed.data, storedMetadata)
measure(`sha256Hex (@noble/hashes, ${text.length} chars)`, 'digests', 100_000, (n) => {
  for (let i = 0; i < n; i++) sha256Hex(text)
})
measure('SHA-256 (node:crypto createHash)', 'digests', 100_000, (n) => {
  for (let i = 0; i < n; i++) createHash('sha256').update(text).digest('hex')
})
const encoder = new TextEncoder()
const webCryptoCount = 20_000
const webCryptoStart = process.hrtime.bigint()
for (let i = 0; i < webCryptoCount; i++) await crypto.subtle.digest('SHA-256', encoder.encode(text))
const webCryptoSeconds = Number(process.hrtime.bigint() - webCryptoStart) / 1e9
console.log(
  `${'SHA-256 (Web Crypto, awaited one at a time)'.padEnd(46)} ${(webCryptoCount / webCryptoSeconds / 1e6).toFixed(2).padStart(7)} M digests/s  (one round, ${webCryptoCount})`,
)
