/**
 * An embedder's stored-event decoder, in a module of its own so that worker threads can load it by
 * URL: its schema 1 wrote a licence's classes as one space-separated string. Used by
 * `partitioned-replay.int.test.ts`.
 *
 * @example
 * replayPartitioned({ store, partitions: 2, decoder: { module: import.meta.resolve('./embedder-decoder.fixture.ts'), export: 'embedderDecoder' } })
 */
import { storedEventDecoder, type Upcaster, upcasters } from '@elicence/domain'

const splitClasses: Upcaster = (event) => {
  const data = event.data as { readonly classes?: unknown }
  return event.type === 'LicenceRecorded' && typeof data.classes === 'string'
    ? { type: event.type, data: { ...data, classes: data.classes.split(' ') } }
    : event
}

const builtIn = upcasters[1]

export const embedderDecoder = storedEventDecoder({
  upcasters: { 1: (event) => (builtIn === undefined ? splitClasses(event) : builtIn(splitClasses(event))) },
})
