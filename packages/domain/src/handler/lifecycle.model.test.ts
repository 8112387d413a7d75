// A model-based test of the whole lifecycle (fast-check `commands`): random sequences of holder,
// reviewer and registry actions go through the real command handler and in-memory store, and every
// outcome is compared with a model small enough to be obviously right.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { licenceDecider } from '../licence/decider.js'
import type { LicenceStatus } from '../licence/values.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import { type CommandHandler, type CommandOutcome, commandHandler } from './handler.js'

const licenceNumber = '11010519491231002X'
const holder = 'acct-zhang'

interface Model {
  now: number
  /** The photo on file, until a reviewer rejects it. */
  fileUsable: boolean
  /** The last accepted submission, until a reviewer rejects it. */
  accepted: boolean
  application: { id: string; stage: 'pending-review' | 'awaiting-photo'; dueMs: number } | null
  eLicence: string | null
  issued: number
  statuses: ReadonlyArray<LicenceStatus>
  classes: ReadonlyArray<string>
  applications: number
}

interface Real {
  handle: CommandHandler
}

let sequence = 0
const send = (
  real: Real,
  model: Model,
  type: string,
  role: string,
  id: string,
  data: Record<string, unknown>,
) =>
  real.handle({
    type,
    data: { licenceNumber, ...data },
    metadata: {
      commandId: `00000000-0000-4000-8000-${(++sequence).toString(16).padStart(12, '0')}`,
      at: new Date(model.now).toISOString(),
      actor: { role, id },
    },
  })

const types = (outcome: E.Either<{ code: string }, CommandOutcome>) =>
  E.isRight(outcome) ? outcome.right.events.map((event) => event.type) : outcome.left.code

/** The review due time an accepted application or photo set; NaN makes the model's check fail. */
const reviewDueOf = (outcome: CommandOutcome): number =>
  Date.parse((outcome.events[0]?.data as { readonly reviewDueAt?: string } | undefined)?.reviewDueAt ?? '')

const eligible = (model: Model) => model.statuses.every((status) => 'AHI'.includes(status))

class AdvanceTime implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run = async (model: Model) => {
    model.now += this.ms
  }
  toString = () => `advance ${Math.round(this.ms / 60_000)} min`
}

class Apply implements fc.AsyncCommand<Model, Real> {
  check = () => true
  run = async (model: Model, real: Real) => {
    const id = `app-${model.applications + 1}`
    const outcome = await send(real, model, 'ApplyForELicence', 'holder', holder, {
      applicationId: id,
      declaredValidFrom: '2020-03-15',
      faceCheck: { passed: true },
    })
    const expected = !eligible(model)
      ? 'licence-not-eligible'
      : model.application !== null
        ? 'application-open'
        : model.eLicence !== null
          ? 'e-licence-active'
          : ['ELicenceApplied']
    expect(types(outcome)).toEqual(expected)
    if (E.isRight(outcome)) {
      model.applications++
      model.application = { id, stage: 'pending-review', dueMs: reviewDueOf(outcome.right) }
    }
  }
  toString = () => 'apply'
}

class Review implements fc.AsyncCommand<Model, Real> {
  constructor(readonly waitForDue: boolean) {}
  check = () => true
  run = async (model: Model, real: Real) => {
    if (this.waitForDue && model.application !== null)
      model.now = Math.max(model.now, model.application.dueMs)
    const application = model.application
    const outcome = await send(real, model, 'ReviewApplication', 'system', 'review-job', {
      applicationId: application?.id ?? 'app-none',
    })
    if (application === null) return expect(types(outcome)).toBe('no-open-application')
    if (application.stage !== 'pending-review')
      return expect(types(outcome)).toBe('application-not-in-review')
    if (model.now < application.dueMs) return expect(types(outcome)).toBe('review-not-due')
    if (!eligible(model)) {
      expect(types(outcome)).toEqual(['ApplicationVoided'])
      model.application = null
    } else if (!model.fileUsable && !model.accepted) {
      expect(types(outcome)).toEqual(['PhotoRejected'])
      model.application = { ...application, stage: 'awaiting-photo' }
    } else {
      expect(types(outcome)).toEqual(['ELicenceIssued'])
      model.issued++
      model.eLicence = `EL-${licenceNumber}-${model.issued}`
      model.application = null
    }
  }
  toString = () => `review${this.waitForDue ? ' when due' : ''}`
}

class SubmitPhoto implements fc.AsyncCommand<Model, Real> {
  constructor(readonly good: boolean) {}
  check = () => true
  run = async (model: Model, real: Real) => {
    const application = model.application
    const today = new Date(model.now + 8 * 3_600_000).toISOString().slice(0, 10)
    const outcome = await send(real, model, 'SubmitPhoto', 'holder', holder, {
      applicationId: application?.id ?? 'app-none',
      photo: { id: `photo-${sequence}`, capturedOn: today, defects: this.good ? [] : ['sunglasses'] },
    })
    if (application === null) return expect(types(outcome)).toBe('no-open-application')
    if (application.stage !== 'awaiting-photo') return expect(types(outcome)).toBe('photo-not-requested')
    expect(types(outcome)).toEqual([this.good ? 'PhotoSubmitted' : 'PhotoRejected'])
    if (this.good && E.isRight(outcome)) {
      model.accepted = true
      model.application = { ...application, stage: 'pending-review', dueMs: reviewDueOf(outcome.right) }
    }
  }
  toString = () => `submit ${this.good ? 'good' : 'bad'} photo`
}

class RejectPhoto implements fc.AsyncCommand<Model, Real> {
  check = () => true
  run = async (model: Model, real: Real) => {
    const application = model.application
    const outcome = await send(real, model, 'RejectPhoto', 'reviewer', 'reviewer-1', {
      applicationId: application?.id ?? 'app-none',
      reasons: ['headwear'],
    })
    if (application === null) return expect(types(outcome)).toBe('no-open-application')
    if (application.stage !== 'pending-review')
      return expect(types(outcome)).toBe('application-not-in-review')
    expect(types(outcome)).toEqual(['PhotoRejected'])
    // The reviewer rejects the photo the review would use: the accepted submission, else the one on file.
    if (model.accepted) model.accepted = false
    else model.fileUsable = false
    model.application = { ...application, stage: 'awaiting-photo' }
  }
  toString = () => 'reject photo'
}

class Withdraw implements fc.AsyncCommand<Model, Real> {
  check = () => true
  run = async (model: Model, real: Real) => {
    const outcome = await send(real, model, 'WithdrawApplication', 'holder', holder, {
      applicationId: model.application?.id ?? 'app-none',
    })
    expect(types(outcome)).toEqual(
      model.application === null ? 'no-open-application' : ['ApplicationWithdrawn'],
    )
    model.application = null
  }
  toString = () => 'withdraw'
}

class Renew implements fc.AsyncCommand<Model, Real> {
  constructor(readonly addClass: boolean) {}
  check = () => true
  run = async (model: Model, real: Real) => {
    const classes = this.addClass ? (model.classes.includes('D') ? ['C1'] : ['C1', 'D']) : model.classes
    const outcome = await send(real, model, 'RenewLicence', 'registry', 'gz-registry', {
      classes,
      validFrom: '2020-03-15',
      validUntil: 'long-term',
      authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
    })
    const expected = ['LicenceRenewed']
    if (this.addClass && model.eLicence !== null) expected.push('ELicenceInvalidated')
    if (this.addClass && model.application !== null) expected.push('ApplicationVoided')
    expect(types(outcome)).toEqual(expected)
    model.classes = classes
    if (this.addClass) {
      model.eLicence = null
      model.application = null
    }
  }
  toString = () => `renew${this.addClass ? ' with a class change' : ' unchanged'}`
}

class ChangeStatus implements fc.AsyncCommand<Model, Real> {
  constructor(readonly statuses: ReadonlyArray<LicenceStatus>) {}
  check = () => true
  run = async (model: Model, real: Real) => {
    const outcome = await send(real, model, 'ChangeLicenceStatus', 'registry', 'gz-registry', {
      statuses: this.statuses,
    })
    if (this.statuses.join() === model.statuses.join())
      return expect(types(outcome)).toBe('statuses-unchanged')
    const expected = ['LicenceStatusChanged']
    const revoking = this.statuses.some((status) => 'EFGR'.includes(status))
    if (revoking && model.eLicence !== null) expected.push('ELicenceInvalidated')
    const stillEligible = this.statuses.every((status) => 'AHI'.includes(status))
    if (!stillEligible && model.application !== null) expected.push('ApplicationVoided')
    expect(types(outcome)).toEqual(expected)
    model.statuses = this.statuses
    if (revoking) model.eLicence = null
    if (!stillEligible) model.application = null
  }
  toString = () => `status ${this.statuses.join('')}`
}

const actions = [
  fc.integer({ min: 1, max: 4 * 24 * 60 }).map((minutes) => new AdvanceTime(minutes * 60_000)),
  fc.constant(new Apply()),
  fc.boolean().map((wait) => new Review(wait)),
  fc.boolean().map((good) => new SubmitPhoto(good)),
  fc.constant(new RejectPhoto()),
  fc.constant(new Withdraw()),
  fc.boolean().map((addClass) => new Renew(addClass)),
  fc
    .constantFrom<ReadonlyArray<LicenceStatus>>(['A'], ['H'], ['B'], ['F'], ['R'], ['H', 'I'])
    .map((statuses) => new ChangeStatus(statuses)),
]

describe('the lifecycle against a model', () => {
  it('agrees with the model on every outcome of every random sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.commands(actions, { maxCommands: 40 }),
        async (photoOnFile, commands) => {
          const store = inMemoryEventStore()
          const handle = commandHandler({
            store,
            decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
          })
          const model: Model = {
            now: Date.parse('2025-03-03T01:00:00Z'),
            fileUsable: photoOnFile,
            accepted: false,
            application: null,
            eLicence: null,
            issued: 0,
            statuses: ['A'],
            classes: ['C1'],
            applications: 0,
          }
          const recorded = await send({ handle }, model, 'RecordLicence', 'registry', 'gz-registry', {
            holder: { accountId: holder, name: '张三' },
            classes: ['C1'],
            validFrom: '2020-03-15',
            validUntil: 'long-term',
            authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
            statuses: ['A'],
            photoOnFile,
          })
          expect(E.isRight(recorded)).toBe(true)
          await fc.asyncModelRun(() => ({ model, real: { handle } }), commands)
          await store.close()
        },
      ),
      { numRuns: 150 },
    )
  })
})
