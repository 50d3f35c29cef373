/**
 * `rq worker [QUEUES...]`: one Worker on the queues, in the foreground, as RQ's. Its log lines, its
 * pid file, and its signals: the first SIGINT/SIGTERM stops it warmly (running jobs finish), the
 * second coldly (they are interrupted and failed), a third exits at once. A worker of
 * `rq worker-pool` also stops warmly when the pool goes away (its IPC channel closes).
 */
import { Option, type Command } from 'commander';
import { rmSync, writeFileSync } from 'node:fs';
import {
  RQError,
  VERSION,
  Worker,
  durableFromSettings,
  importFunction,
  isSuspended,
  type DequeueStrategy,
  type ExceptionHandler,
  type Job,
  type RateLimitError,
  type WorkOptions,
  type WorkerOptions,
} from '../../index.js';
import { settingsOf, withOpenConnection } from '../connection.js';
import { loggerOf, withLoggingOptions, type CliLogger, type LoggingFlags } from '../logging.js';
import { POOL_WORKER_ENV } from '../pool.js';
import { checkFlag, collect, pathsOf, sharedOptionsOf, wholeNumber, withSharedOptions, type SharedFlags } from '../shared.js';
import { SignalCounter } from '../signals.js';

interface WorkerFlags extends SharedFlags, LoggingFlags {
  burst?: boolean;
  pid?: string;
  withScheduler?: boolean;
  name?: string;
  maxJobs?: string;
  maxIdleTime?: string;
  concurrency?: string;
  resultsTtl?: string;
  workerTtl?: string;
  jobMonitoringInterval?: string;
  maintenanceInterval?: string;
  dequeueStrategy?: DequeueStrategy;
  isolated?: boolean;
  exceptionHandler: string[];
  disableDefaultExceptionHandler?: boolean;
}

/** Adds `rq worker` to the program. */
export function workerCommand(program: Command): void {
  withLoggingOptions(withSharedOptions(program.command('worker')))
    .description('Start a worker on QUEUES, highest priority first (default: QUEUES from the config, else "default").')
    .argument('[queues...]', 'queue names')
    .option('-b, --burst', 'run until the queues are empty, then quit')
    .option('-s, --with-scheduler', 'also move due scheduled jobs onto the queues (one scheduler per queue at a time)')
    .option('-n, --name <name>', 'worker name (default: random, as RQ)')
    .option('--max-jobs <n>', 'quit after running this many jobs')
    .option('--max-idle-time <seconds>', 'quit after this long without a job')
    .option('--concurrency <n>', 'jobs run at the same time (each slot shows as a worker in rq info)', '1')
    .option('--isolated', 'run each job in a reused child process (a work horse), killed at its timeout')
    .option('--exception-handler <function>', 'dotted name of a function called with (job, error) when a job fails (repeatable)', collect, [] as string[])
    .option('-d, --disable-default-exception-handler', 'record failed jobs by status only: no failed registry, no result')
    .option('--results-ttl <seconds>', 'keep results of jobs without their own result TTL this long', '500')
    .option('--worker-ttl <seconds>', 'worker key TTL, refreshed by heartbeats', '420')
    .option('--job-monitoring-interval <seconds>', 'seconds between heartbeats', '30')
    .option('--maintenance-interval <seconds>', 'seconds between registry cleanups', '600')
    .addOption(new Option('--dequeue-strategy <strategy>', 'queue order').choices(['default', 'round_robin', 'random']).default('default'))
    .option('--pid <file>', 'write the process id to this file (removed when the worker exits)')
    .action(startWorker);
}

async function startWorker(queues: string[], flags: WorkerFlags): Promise<void> {
  const logger = loggerOf(flags, 'rq.worker');
  const paths = pathsOf(flags);
  const shared = sharedOptionsOf(flags);
  const tuning = tuningOf(flags);
  const limits = limitsOf(flags);
  const exceptionHandlers = await Promise.all(flags.exceptionHandler.map((name) => checkFlag('--exception-handler', () => importFunction(name, paths)))) as ExceptionHandler[];
  const settings = await settingsOf(shared);
  const durable = durableFromSettings(settings);
  const name = flags.name ?? settings.NAME;
  const options: WorkerOptions = {
    paths,
    serializer: shared.serializer,
    ...tuning,
    exceptionHandlers,
    ...(durable !== undefined && { durable }),
    ...(name !== undefined && { name: String(name) }),
    logger: { debug: logger.debug, info: logger.debug, warn: logger.warn, error: logger.error },
  };
  const queueNames = queues.length > 0 ? queues : (settings.QUEUES ?? ['default']);
  await withOpenConnection(shared, async (connection) => {
    // A worker of a pool waits out a suspension (the Worker pauses by itself); alone, it refuses, as RQ's.
    const inPool = process.env[POOL_WORKER_ENV] === '1' && typeof process.send === 'function';
    if (!inPool && (await isSuspended({ connection }))) throw new RQError('RQ is currently suspended, to resume job execution run "rq resume".');
    const worker = new Worker(queueNames, { connection, ...options });
    await runWorker(worker, { queueNames, logger, limits, inPool, pid: flags.pid });
  }, { reportFailover: false });
}

/** How the worker works, from the options that tune it. */
function tuningOf(flags: WorkerFlags) {
  return {
    concurrency: wholeNumber(flags.concurrency, '--concurrency', 1),
    defaultResultTtl: wholeNumber(flags.resultsTtl, '--results-ttl'),
    workerTtl: wholeNumber(flags.workerTtl, '--worker-ttl', 1),
    jobMonitoringInterval: wholeNumber(flags.jobMonitoringInterval, '--job-monitoring-interval', 1),
    maintenanceInterval: wholeNumber(flags.maintenanceInterval, '--maintenance-interval', 1),
    dequeueStrategy: flags.dequeueStrategy ?? 'default',
    isolated: flags.isolated ?? false,
    disableDefaultExceptionHandler: flags.disableDefaultExceptionHandler ?? false,
  } as const;
}

/** When the worker stops by itself. */
function limitsOf(flags: WorkerFlags): WorkOptions {
  return {
    burst: flags.burst ?? false,
    withScheduler: flags.withScheduler ?? false,
    ...(flags.maxJobs !== undefined && { maxJobs: wholeNumber(flags.maxJobs, '--max-jobs', 1) }),
    ...(flags.maxIdleTime !== undefined && { maxIdleTime: wholeNumber(flags.maxIdleTime, '--max-idle-time', 1) }),
  };
}

/** How a worker of `rq worker` runs: its queues (for its log lines), its logger and limits, whether a pool runs it, its pid file. */
interface WorkerRun {
  readonly queueNames: readonly string[];
  readonly logger: CliLogger;
  readonly limits: WorkOptions;
  readonly inPool: boolean;
  readonly pid: string | undefined;
}

/** Runs a worker of `rq worker` until it is done: its log lines, its signals, its pid file. */
async function runWorker(worker: Worker, run: WorkerRun): Promise<void> {
  const { logger, pid } = run;
  logEvents(worker, run.queueNames, logger);
  const shutdown = stopOnSignals(worker, logger, run.inPool);
  if (pid !== undefined) writeFileSync(pid, `${process.pid}\n`);
  try {
    await worker.work(run.limits);
    logger.info(`Worker ${worker.name} done, quitting`);
  } finally {
    if (pid !== undefined) rmSync(pid, { force: true });
    await worker.close();
  }
  // After a cold stop the interrupted jobs' own timers may still hold the process: it is done.
  if (shutdown.cold) process.exit(1);
}

/** The worker's events as RQ's log lines. */
function logEvents(worker: Worker, queueNames: readonly string[], logger: CliLogger): void {
  const log = logger.info;
  worker.on('worker:started', () => {
    log(`Worker ${worker.key} started with PID ${process.pid}, rq-ts ${VERSION}`);
    log(`*** Listening on ${queueNames.join(', ')}...`);
  });
  worker.on('job:started', (job: Job, queue: string) => log(`${queue}: ${job.description} (${job.id})`));
  worker.on('job:finished', (job: Job, queue: string, seconds: number) => log(`${queue}: Job OK (${job.id}) in ${formatSeconds(seconds)}`));
  worker.on('job:failed', (job: Job | undefined, queue: string, error: Error, seconds: number) =>
    logger.error(`${queue}: Job failed (${job?.id ?? 'unreadable job'}) in ${formatSeconds(seconds)}: ${error.name}: ${error.message}`),
  );
  worker.on('job:retried', (job: Job, queue: string, error: Error) => logger.warn(`${queue}: Job failed (${job.id}), retried (${job.retriesLeft ?? 0} retries left): ${error.name}: ${error.message}`));
  worker.on('job:stopped', (job: Job, queue: string) => logger.warn(`${queue}: Job stopped (${job.id})`));
  worker.on('job:held', (job: Job, queue: string, error: RateLimitError) =>
    logger.warn(`${queue}: Job held (${job.id}) for ${error.holdFor} ms${job.rateLimitKey === undefined ? ', then scheduled' : `, key '${job.rateLimitKey}' held`}: ${error.message}`),
  );
  worker.on('worker:idle', () => logger.debug(`*** Listening on ${queueNames.join(', ')}...`));
  worker.on('command:received', (command, slot) => logger.info(`${slot}: received command ${JSON.stringify(command)}`));
  worker.on('worker:error', (error) => logger.warn(`Worker error, going on: ${error.message}`));
  worker.on('redis:writable', () => log('Redis takes writes again: the held job endings are recorded; taking jobs again'));
}

/** Whether the worker was stopped coldly: its process then exits with 1 once the worker is closed. */
interface Shutdown {
  cold: boolean;
}

/** Stops the worker warmly at the first signal, coldly at the second, exits at the third; and warmly when its pool goes away. */
function stopOnSignals(worker: Worker, logger: CliLogger, inPool: boolean): Shutdown {
  const shutdown: Shutdown = { cold: false };
  const signals = new SignalCounter({
    first: (signal) => {
      logger.info(`${signal} received: warm shut down requested, finishing the running jobs (send it again to stop them now)`);
      worker.stop();
    },
    second: (signal) => {
      logger.error(`${signal} received again: cold shut down, interrupting the running jobs (send it again to exit at once)`);
      shutdown.cold = true;
      process.exitCode = 1;
      worker.stop({ cold: true });
    },
    third: (signal) => {
      // The cold stop waits for the interrupted jobs' endings to be recorded: with Redis gone that can last.
      logger.error(`${signal} received a third time: exiting now, without recording the interrupted jobs (they are found abandoned later)`);
      process.exit(1);
    },
  });
  // A pool's worker stops when the pool dies (its IPC channel closes), even when killed with SIGKILL;
  // the channel itself does not keep the process alive once the worker is done.
  if (inPool) {
    process.channel?.unref();
    process.on('disconnect', () => {
      signals.countAsFirst();
      logger.warn('The worker pool went away: warm shut down, finishing the running jobs');
      worker.stop();
    });
  }
  return shutdown;
}

function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(2)} s`;
}
