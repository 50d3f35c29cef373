/** `rq suspend [--duration S]`: no worker starts a new job until `rq resume` (or the duration ends), as RQ's. */
import type { Command } from 'commander';
import { suspend } from '../../index.js';
import { withOpenConnection } from '../connection.js';
import { sharedOptionsOf, wholeNumber, withSharedOptions, type SharedFlags } from '../shared.js';

/** Adds `rq suspend` to the program. */
export function suspendCommand(program: Command): void {
  withSharedOptions(program.command('suspend'))
    .description('Suspend every worker: no new job starts until `rq resume` (running jobs finish).')
    .option('--duration <seconds>', 'resume by itself after this many seconds')
    .action(suspendWorkers);
}

async function suspendWorkers(flags: SharedFlags & { duration?: string }): Promise<void> {
  const duration = flags.duration === undefined ? undefined : wholeNumber(flags.duration, '--duration', 1);
  await withOpenConnection(sharedOptionsOf(flags), async (connection) => {
    await suspend({ connection, ...(duration !== undefined && { duration }) });
    console.log(duration !== undefined
      ? `Suspending workers for ${duration} seconds. No new jobs will be started during that time, then they resume by themselves.`
      : 'Suspending workers. No new jobs will be started, but current jobs will be completed.');
  });
}
