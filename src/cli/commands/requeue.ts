/**
 * `rq requeue [JOB_IDS...] --queue Q` (or `--all`): failed jobs of a queue back onto it, as RQ's,
 * with a progress bar on a terminal and a line for the ids that could not be requeued.
 */
import type { Command } from 'commander';
import { FailedJobRegistry } from '../../index.js';
import { withOpenConnection } from '../connection.js';
import { Progress } from '../progress.js';
import { UsageError, colorsFor, requireQueues, sharedOptionsOf, withSharedOptions, type SharedFlags } from '../shared.js';

interface RequeueFlags extends SharedFlags {
  queue: string;
  all?: boolean;
}

/** Adds `rq requeue` to the program. */
export function requeueCommand(program: Command): void {
  withSharedOptions(program.command('requeue'))
    .description('Put failed jobs of a queue back on it: the JOB_IDS given, or --all.')
    .argument('[job-ids...]', 'ids of failed jobs')
    .requiredOption('--queue <name>', 'the queue whose failed jobs to requeue')
    .option('-a, --all', 'every failed job of the queue')
    .action(requeueJobs);
}

async function requeueJobs(jobIds: string[], flags: RequeueFlags): Promise<void> {
  const shared = sharedOptionsOf(flags);
  if (!flags.all && jobIds.length === 0) throw new UsageError('give job ids, or --all for every failed job of the queue.');
  await withOpenConnection(shared, async (connection) => {
    const registry = new FailedJobRegistry(flags.queue, { connection, serializer: shared.serializer });
    // A queue no longer in rq:queues may still have failed jobs: only a queue with neither is unknown.
    if ((await registry.count()) === 0) await requireQueues(connection, [flags.queue]);
    const total = flags.all ? await registry.count() : jobIds.length;
    if (total === 0) {
      console.log('Nothing to do');
      return;
    }
    console.log(`Requeueing ${total} jobs from failed queue`);
    const progress = new Progress(process.stdout, total, 'Requeueing');
    const onProgress = () => progress.tick();
    const { requeued, refused: notThere, gone } = flags.all ? await registry.requeueAll({ onProgress }) : await registry.requeueJobs(jobIds, { onProgress });
    progress.end();
    const sample = (list: string[]) => `${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''}`;
    const red = colorsFor(process.stderr).red;
    if (notThere.length > 0) console.error(red(`Unable to requeue ${notThere.length} jobs from failed job registry (not in it: ${sample(notThere)})`));
    if (gone.length > 0) console.error(red(`Unable to requeue ${gone.length} jobs whose job hash is gone (expired or deleted; their ids were removed from the registry): ${sample(gone)}`));
    if (notThere.length + gone.length > 0) process.exitCode = 1;
    console.log(`Requeued ${requeued.length} jobs onto ${flags.queue}`);
  });
}
