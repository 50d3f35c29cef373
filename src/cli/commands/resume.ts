/** `rq resume`: the workers `rq suspend` suspended take jobs again, as RQ's. */
import type { Command } from 'commander';
import { resume } from '../../index.js';
import { withOpenConnection } from '../connection.js';
import { sharedOptionsOf, withSharedOptions, type SharedFlags } from '../shared.js';

/** Adds `rq resume` to the program. */
export function resumeCommand(program: Command): void {
  withSharedOptions(program.command('resume'))
    .description('Resume the workers suspended with `rq suspend`.')
    .action(resumeWorkers);
}

async function resumeWorkers(flags: SharedFlags): Promise<void> {
  await withOpenConnection(sharedOptionsOf(flags), async (connection) => {
    await resume({ connection });
    console.log('Resuming workers.');
  });
}
