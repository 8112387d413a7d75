/**
 * The auditor's comparison of stored read models with the ones it rebuilt from the history, as of the
 * stored checkpoint: the checkpoint's hash must be the history's at that position, every stored view
 * must equal the rebuilt one (canonical JSON), none may be missing or extra, and stored statistics
 * must equal the rebuilt ones.
 *
 * @example
 * await compareStored({ checkpoint, views, statistics }, rebuilt, (anomaly) => anomalies.push(anomaly))
 */
import { canonicalJson } from '@elicence/domain'
import type { Checkpoint } from '../read-models/port.js'
import type { ELicenceView, ELicenceViewState } from '../views/e-licence.js'
import type { Statistics } from '../views/statistics.js'
import type { AuditAnomaly } from './audit.js'

/** Read models to compare with the rebuild: they are compared as of their checkpoint. */
export interface StoredReadModels {
  readonly checkpoint: Checkpoint
  readonly views: Iterable<ELicenceView> | AsyncIterable<ELicenceView>
  readonly statistics?: Statistics
}

/** What the auditor rebuilt, as of the stored checkpoint. */
export interface RebuiltReadModels {
  readonly views: ReadonlyMap<string, ELicenceViewState>
  readonly statistics: Statistics
  /** The history's hash at the checkpoint's position, null when it has no such position. */
  readonly hash: string | null
}

/** The members of two views that differ, stored against rebuilt, for a message a reader can act on. */
const differences = (stored: object, rebuilt: object): string => {
  const names = [...new Set([...Object.keys(stored), ...Object.keys(rebuilt)])].sort()
  const differing = names.filter(
    (name) =>
      canonicalJson((stored as Record<string, unknown>)[name] ?? null) !==
      canonicalJson((rebuilt as Record<string, unknown>)[name] ?? null),
  )
  const shown = (value: unknown) => {
    const text = canonicalJson(value ?? null)
    return text.length > 60 ? `${text.slice(0, 57)}...` : text
  }
  return differing
    .slice(0, 3)
    .map(
      (name) =>
        `${name} stored ${shown((stored as Record<string, unknown>)[name])}, rebuilt ${shown((rebuilt as Record<string, unknown>)[name])}`,
    )
    .concat(differing.length > 3 ? [`and ${differing.length - 3} more`] : [])
    .join('; ')
}

export const compareStored = async (
  stored: StoredReadModels,
  rebuilt: RebuiltReadModels,
  report: (anomaly: AuditAnomaly) => void,
): Promise<void> => {
  const { checkpoint } = stored
  if (checkpoint.position > 0 && checkpoint.hash !== rebuilt.hash) {
    report({
      streamId: checkpoint.streamId ?? '',
      version: checkpoint.version ?? -1,
      position: checkpoint.position,
      kind: 'checkpoint-mismatch',
      message:
        rebuilt.hash === null
          ? `the read models stand at position ${checkpoint.position}, which the history does not have`
          : `the read models reached hash ${checkpoint.hash} at position ${checkpoint.position}, the history has ${rebuilt.hash}`,
    })
  }
  const seen = new Set<string>()
  for await (const view of stored.views) {
    seen.add(view.streamId)
    const expected = rebuilt.views.get(view.streamId) ?? null
    if (expected === null) {
      report({
        streamId: view.streamId,
        version: view.version,
        position: view.position,
        kind: 'view-unexpected',
        message: 'a stored view for a licence the history does not record',
      })
    } else if (canonicalJson(view) !== canonicalJson(expected)) {
      report({
        streamId: view.streamId,
        version: view.version,
        position: view.position,
        kind: 'view-mismatch',
        message: `stored view at version ${view.version} (hash ${view.hash}) differs from the rebuilt one at version ${expected.version} (hash ${expected.hash}): ${differences(view, expected)}`,
      })
    }
  }
  for (const [streamId, view] of rebuilt.views) {
    if (view !== null && !seen.has(streamId)) {
      report({
        streamId,
        version: view.version,
        position: view.position,
        kind: 'view-missing',
        message: 'no stored view for a recorded licence',
      })
    }
  }
  if (
    stored.statistics !== undefined &&
    canonicalJson(stored.statistics) !== canonicalJson(rebuilt.statistics)
  ) {
    report({
      streamId: '',
      version: -1,
      position: null,
      kind: 'statistics-mismatch',
      message: 'stored statistics differ from the rebuilt ones',
    })
  }
}
