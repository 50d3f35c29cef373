/**
 * Job functions for the isolated-mode example (examples/docs/worker-isolated.ts). The work horses
 * import this module first (`isolated: { modules: [...] }`), which defines `monthly.report`
 * with defineTask; `reports.runaway` is found through the worker's `paths` (export `runaway` of
 * `reports.js`).
 */
// In your project: `from 'rq-ts'`.
import { defineTask, getCurrentJob } from '../../../src/index.js';

/** A typed task. No module is named `monthly`: only importing this file makes it known. */
export const monthlyReport = defineTask('monthly.report', (month: string) => {
  // Runs in a work horse: process.pid is the horse's, not the worker's.
  return { month, jobId: getCurrentJob()?.id, pid: process.pid };
});

/** A CPU-bound loop that never ends: no AbortSignal can stop it, only killing its process. */
export function runaway(): never {
  for (;;) {
    // busy
  }
}
