// The credential worker, failing on cue for `credential-threads.int.test.ts`: every text is checked
// by the real worker, but the text `exit` then ends the worker thread and `hang` never returns.
import { parentPort } from 'node:worker_threads'

await import('./credential-worker.js')

parentPort?.on('message', ({ text }: { readonly text?: string }) => {
  if (text === 'exit') process.exit(3)
  if (text === 'hang') for (;;);
})
