/**
 * `elicence view`: one licence's e-licence view (DESIGN §5), folded straight from its event stream,
 * now or as of a past instant: by business time (`at`, what happened by then, as known today) or by
 * record time (`recordedAt`, what the system showed then).
 *
 * @example
 * $ elicence view --store sqlite:./data/elicence.db 11010519491231002X --as-of 2026-10-01T00:00:00+08:00
 * { "streamId": "licence-11010519491231002X", "state": "issued", "eLicenceId": "…", … }
 */
import { readLicenceView } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { complain, writeLine } from '../cli-io.js'
import { exitCodes } from '../exit-codes.js'
import { type CliCommand, storeOptionUsage, storeUrlOf, usageError, withReadOnlyStore } from './command.js'
import {
  asOfArguments,
  asOfFlags,
  licenceNumberArgument,
  parseCommandArguments,
} from './command-arguments.js'

const usage = `Usage: elicence view --store URL LICENCE [--as-of INSTANT [--axis business|record]]

Prints the e-licence view of one licence as JSON: holder, classes, validity, authority, statuses,
e-licence state, eLicenceId, issuedAt, reviewDueAt, photo rejections, last invalidation, version.

Options:
${storeOptionUsage}
  --as-of INSTANT  the view as it stood then (ISO-8601 with offset or Z)
  --axis AXIS      business: events that happened by then (metadata.at; the default)
                   record: events stored by then (metadata.recordedAt)
  -h, --help       show this text

Exit status: 0 shown; 1 the licence is not recorded (as of the instant); 2 bad arguments;
3 the store failed or holds a corrupt event.`

export const viewCommand: CliCommand = {
  name: 'view',
  summary: "show one licence's e-licence view, now or as of an instant",
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, viewCommand, args, { flags: asOfFlags, positionals: true })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const licenceNumber = licenceNumberArgument(positionals)
    if (E.isLeft(licenceNumber)) return usageError(io, viewCommand, licenceNumber.left)
    const asOfOptions = asOfArguments(values)
    if (E.isLeft(asOfOptions)) return usageError(io, viewCommand, asOfOptions.left)
    return withReadOnlyStore(io, viewCommand, storeUrlOf(values.store, io), async (store) => {
      const view = await readLicenceView(store, licenceNumber.right, asOfOptions.right)
      if (E.isLeft(view)) {
        complain(io, viewCommand.name, view.left.message)
        // The instant was checked above, so what is left is the store's failure.
        return exitCodes.storeFailure
      }
      if (view.right === null) {
        const when = asOfOptions.right.asOf === undefined ? '' : ` as of ${asOfOptions.right.asOf}`
        complain(io, viewCommand.name, `licence ${licenceNumber.right} is not recorded${when}`)
        return exitCodes.refused
      }
      await writeLine(io.stdout, JSON.stringify(view.right, null, 2))
      return exitCodes.ok
    })
  },
}
