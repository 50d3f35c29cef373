/**
 * `rq worker-pool [QUEUES...]`: N `rq worker` processes on the queues (RQ 1.14's worker-pool). The
 * options are checked and Redis reached once here, then passed on to every worker; pool.ts runs
 * the processes and handles the signals.
 */
import type { Command } from 'commander';
import { closeConnection, connect } from '../connection.js';
import { loggerOf, loggingArgs, withLoggingOptions, type LoggingFlags } from '../logging.js';
import { runPool } from '../pool.js';
import { pathsOf, sharedOptionsOf, wholeNumber, withSharedOptions, type SharedFlags } from '../shared.js';

interface PoolFlags extends SharedFlags, LoggingFlags {
  numWorkers?: string;
  burst?: boolean;
  concurrency?: string;
}

/** Adds `rq worker-pool` to the program. */
export function workerPoolCommand(program: Command): void {
  withLoggingOptions(withSharedOptions(program.command('worker-pool')))
    .description('Run N workers on QUEUES, each a process of its own, replaced when it dies; SIGINT/SIGTERM stop them.')
    .argument('[queues...]', 'queue names, highest priority first (default: QUEUES from the config, else "default")')
    .option('-n, --num-workers <n>', 'workers in the pool', '2')
    .option('-b, --burst', 'each worker runs until the queues are empty; the pool ends when they all have')
    .option('--concurrency <n>', 'jobs each worker runs at the same time', '1')
    .action(startPool);
}

async function startPool(queues: string[], flags: PoolFlags): Promise<void> {
  const shared = sharedOptionsOf(flags);
  const logger = loggerOf(flags, 'rq.worker_pool');
  const size = wholeNumber(flags.numWorkers, '--num-workers', 1);
  const concurrency = wholeNumber(flags.concurrency, '--concurrency', 1);
  await closeConnection(await connect(shared)); // a bad setting or an unreachable Redis fails here, once, not in every worker
  const workerArgs = [...queues, ...sharedArgs(flags), '--concurrency', String(concurrency), ...(flags.burst ? ['--burst'] : []), ...loggingArgs(flags)];
  process.exitCode = await runPool({ size, workerArgs, burst: flags.burst ?? false, log: logger.info });
  logger.info('Worker pool stopped');
}

/** The shared options as arguments again, for the workers of the pool (-P as absolute directories, `.` when none). */
function sharedArgs(flags: SharedFlags): string[] {
  return [
    ...(flags.url !== undefined ? ['--url', flags.url] : []),
    ...(flags.config !== undefined ? ['--config', flags.config] : []),
    ...(flags.cluster ? ['--cluster'] : []),
    ...pathsOf(flags).flatMap((dir) => ['--path', dir]),
    ...(flags.serializer !== undefined ? ['--serializer', flags.serializer] : []),
  ];
}
