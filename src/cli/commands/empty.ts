/** `rq empty [QUEUES...]` (or `--all`): every waiting job of the queues removed, jobs included, as RQ's. */
import type { Command } from 'commander';
import { Queue } from '../../index.js';
import { withOpenConnection } from '../connection.js';
import { UsageError, requireQueues, sharedOptionsOf, withSharedOptions, type SharedFlags } from '../shared.js';

/** Adds `rq empty` to the program. */
export function emptyCommand(program: Command): void {
  withSharedOptions(program.command('empty'))
    .description('Remove every waiting job of QUEUES (or of every queue, with --all), jobs included.')
    .argument('[queues...]', 'queue names')
    .option('-a, --all', 'every queue')
    .action(emptyQueues);
}

async function emptyQueues(names: string[], flags: SharedFlags & { all?: boolean }): Promise<void> {
  const shared = sharedOptionsOf(flags);
  const { serializer } = shared;
  if (!flags.all && names.length === 0) throw new UsageError('give queue names, or --all.');
  await withOpenConnection(shared, async (connection) => {
    if (!flags.all) await requireQueues(connection, names);
    const queues = flags.all ? await Queue.all({ connection, serializer }) : names.map((name) => new Queue(name, { connection, serializer }));
    if (queues.length === 0) {
      console.log('Nothing to do');
      return;
    }
    for (const queue of queues) console.log(`${await queue.empty()} jobs removed from ${queue.name} queue`);
  });
}
