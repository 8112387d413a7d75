/**
 * `elicence verify`: what a verifier learns of a licence at an instant (DESIGN §5): whether the
 * e-licence is valid, whether its holder may drive and which classes, and why not; the holder's
 * name and number masked. The same answer as `GET /licences/:licenceNumber/verification`: without
 * `--at`, the licence's current view verified now; with it, the view of what had happened by that
 * instant (business time, as the route reads it), verified then — a licence recorded later is not
 * found, one revoked later was still valid. The exit status carries the verdict, so a script can
 * ask `elicence verify … && …`.
 *
 * @example
 * $ elicence verify --store sqlite:./data/elicence.db 11010519491231002X --at 2026-10-09T10:00:00+08:00
 * { "eLicence": "valid", "driving": "allowed", "licenceNumber": "110105********002X", … }
 */
import { readLicenceView, verifyAt } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { complain, writeLine } from '../cli-io.js'
import { exitCodes } from '../exit-codes.js'
import { type CliCommand, storeOptionUsage, storeUrlOf, usageError, withReadOnlyStore } from './command.js'
import { instantOption, licenceNumberArgument, parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence verify --store URL LICENCE [--at INSTANT]

Prints the verification of one licence's e-licence as JSON: eLicence valid/invalid/none, driving
allowed/not-allowed, classes and the classes they imply, statuses, reasons; name and number masked.

Options:
${storeOptionUsage}
  --at INSTANT     verify at this instant (ISO-8601 with offset or Z), as what had happened by
                   then (a licence recorded later is not found); default: now, the current view
  -h, --help       show this text

Exit status: 0 the e-licence is valid at the instant; 1 it is not (invalid, none, or the licence is
not recorded: see "reasons"); 2 bad arguments; 3 the store failed or holds a corrupt event.`

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: "verify a licence's e-licence at an instant, as a verifier sees it",
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, verifyCommand, args, {
      flags: { at: 'string' },
      positionals: true,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const licenceNumber = licenceNumberArgument(positionals)
    if (E.isLeft(licenceNumber)) return usageError(io, verifyCommand, licenceNumber.left)
    const at = instantOption(values.at, '--at')
    if (E.isLeft(at)) return usageError(io, verifyCommand, at.left)
    return withReadOnlyStore(io, verifyCommand, storeUrlOf(values.store, io), async (store) => {
      const view = await readLicenceView(
        store,
        licenceNumber.right,
        at.right === undefined ? {} : { asOf: at.right, axis: 'business' },
      )
      if (E.isLeft(view)) {
        complain(io, verifyCommand.name, view.left.message)
        return exitCodes.storeFailure
      }
      const verification = verifyAt(view.right, at.right ?? (io.clock?.() ?? new Date()).toISOString())
      await writeLine(io.stdout, JSON.stringify(verification, null, 2))
      return verification.eLicence === 'valid' ? exitCodes.ok : exitCodes.refused
    })
  },
}
