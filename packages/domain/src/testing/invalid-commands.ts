/**
 * Invalid command JSON: a valid command with one field broken, paired with the path the refusal
 * must name. For property tests of `parseCommand` and of transports (never a 5xx, never an event).
 *
 * @example
 * fc.assert(fc.property(invalidCommandArb, ({ json, path }) => isLeft(parseCommand(json))))
 */
import * as fc from 'fast-check'
import { commandIdFor } from './step-commands.js'
import { impossibleDateArb, offsetlessInstantArb, wrongCheckLicenceNumberArb } from './values.js'

export interface InvalidCommand {
  readonly json: unknown
  /**
   * Where the error's `issues` must point: an issue names this path or one below it (an unknown
   * class at `data.classes` is reported at `data.classes.0`).
   */
  readonly path: string
  readonly why: string
}

export const validRecord = () => ({
  type: 'RecordLicence',
  data: {
    licenceNumber: '11010519491231002X',
    holder: { accountId: 'acct-1', name: '张三' },
    classes: ['C1'],
    validFrom: '2020-01-01',
    validUntil: '2030-01-01',
    authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
    statuses: ['A'],
    photoOnFile: true,
  },
  metadata: {
    commandId: commandIdFor(1),
    at: '2026-10-01T09:00:00+08:00',
    actor: { role: 'registry', id: 'registry-1' },
  },
})

const broken = (path: string, why: string, value: unknown): InvalidCommand => {
  const json = validRecord() as Record<string, unknown>
  const keys = path.split('.')
  let target = json
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>
  const last = keys[keys.length - 1] as string
  if (value === undefined) delete target[last]
  else target[last] = value
  return { json, path, why }
}

export const invalidCommandArb: fc.Arbitrary<InvalidCommand> = fc.oneof(
  wrongCheckLicenceNumberArb.map((value) => broken('data.licenceNumber', 'wrong check character', value)),
  fc.constant(broken('data.licenceNumber', 'lower-case x', '11010519491231002x')),
  impossibleDateArb.map((value) => broken('data.validFrom', 'impossible date', value)),
  offsetlessInstantArb.map((value) => broken('metadata.at', 'instant without offset', value)),
  fc.constantFrom('Z', 'C7', 'c1', '').map((value) => broken('data.classes', 'unknown class', [value])),
  fc.constant(broken('data.classes', 'repeated class', ['C1', 'C1'])),
  fc.constant(broken('data.classes', 'empty classes', [])),
  fc
    .constantFrom('B', 'H', 'M')
    .map((value) => broken('data.statuses', 'A with another status', ['A', value])),
  fc.constantFrom('Q', 'O', 'a').map((value) => broken('data.statuses', 'unknown status', [value])),
  fc.constant(broken('data.holder', 'missing holder', undefined)),
  fc.constant(broken('data.photoOnFile', 'not a boolean', 'yes')),
  fc.constant(broken('metadata.commandId', 'not a UUID', 'cmd-1')),
  fc.constant(broken('metadata.actor.role', 'unknown role', 'mayor')),
  fc.constant(broken('data.holder.accountId', 'id over 128 characters', 'x'.repeat(129))),
  fc.constant(
    broken('data', 'validUntil before validFrom', { ...validRecord().data, validUntil: '2019-12-31' }),
  ),
  fc.constant(broken('type', 'unknown command type', 'DeleteLicence')),
)
