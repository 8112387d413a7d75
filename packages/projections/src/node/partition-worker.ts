/**
 * The worker thread of `runPartitionWorkers`: opens the store its locator names, runs its task over
 * its one partition — `replayPartition` or `auditPartition` — closes the store and posts the result,
 * or why it failed, to the thread that started it. Progress goes out as the task reports it, with
 * the worker's heap use sampled there, so the merged result can say what each partition held at
 * its peak.
 *
 * @example
 * new Worker(new URL('./partition-worker.js', import.meta.url), { workerData: { store, partition, task } })
 */

import { parentPort, workerData } from 'node:worker_threads'
import type { EventStore, StoredEventDecoder, StoreError } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { absurd } from 'fp-ts/lib/function.js'
import { auditPartition } from '../audit/partition-audit.js'
import { replayPartition } from '../read-models/partition-replay.js'
import {
  loadLocatedDecoder,
  openLocatedStore,
  type PartitionTask,
  type PartitionWorkerData,
  type PartitionWorkerMessage,
} from './partition-workers.js'
import { nodeSha256, nodeSha256Hex } from './sha256.js'

const post = (message: PartitionWorkerMessage) => parentPort?.postMessage(message)

// A cause may hold what cannot cross threads (a native handle, a function): only the error's data goes.
const crossable = (error: StoreError): StoreError => {
  if (!('cause' in error)) return error
  const { cause: _cause, ...rest } = error
  return rest
}

let peakHeapBytes = process.memoryUsage().heapUsed
const progressed = (progress: unknown) => {
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed)
  post({ kind: 'progress', progress })
}

const run = (
  store: EventStore,
  decoder: StoredEventDecoder,
  data: PartitionWorkerData,
): Promise<E.Either<StoreError, unknown>> => {
  const { partition } = data
  const task: PartitionTask = data.task
  const pageSize = task.pageSize === undefined ? {} : { pageSize: task.pageSize }
  switch (task.kind) {
    case 'replay':
      return replayPartition(store, {
        partition,
        ...pageSize,
        views: task.views,
        onProgress: progressed,
        decoder,
      })
    case 'audit':
      return auditPartition(store, {
        partition,
        ...pageSize,
        ...(task.asOf === undefined ? {} : { asOf: task.asOf }),
        ...(task.axis === undefined ? {} : { axis: task.axis }),
        ...(task.progressEvery === undefined ? {} : { progressEvery: task.progressEvery }),
        ...(task.maxAnomalies === undefined ? {} : { maxAnomalies: task.maxAnomalies }),
        ...(task.calendarSchedules === undefined ? {} : { calendarSchedules: task.calendarSchedules }),
        ...(task.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: task.maxClockSkewMs }),
        digest: nodeSha256Hex,
        onProgress: progressed,
        decoder,
        ...(task.leaves
          ? {
              leaves: {
                sha256: nodeSha256,
                // Transferred, not copied: the worker never touches a batch of leaves again.
                onBatch: (leaves) =>
                  parentPort?.postMessage({ kind: 'leaves', leaves } satisfies PartitionWorkerMessage, [
                    leaves.positions.buffer,
                    leaves.hashes.buffer,
                  ]),
              },
            }
          : {}),
      })
    default:
      return absurd(task)
  }
}

const data = workerData as PartitionWorkerData
const outcome = await (async (): Promise<E.Either<StoreError, unknown>> => {
  const decoder = await loadLocatedDecoder(data.decoder)
  if (E.isLeft(decoder)) return decoder
  const opened = await openLocatedStore(data.store)
  if (E.isLeft(opened)) return opened
  try {
    return await run(opened.right, decoder.right, data)
  } finally {
    await opened.right.close()
  }
})()
if (E.isLeft(outcome)) post({ kind: 'failed', error: crossable(outcome.left) })
else post({ kind: 'done', result: outcome.right, peakHeapBytes })
