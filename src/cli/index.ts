#!/usr/bin/env node
/**
 * The `rq` command line, as RQ users know it (RQ-REFERENCE.md §1.12). It has `rq worker`,
 * `rq cron`, `rq suspend` and `rq resume`; `info`, `enqueue`, `requeue`, `empty` and `worker-pool` follow
 * (issue #6). Exit codes: 0 success, 1 failure, 2 bad usage. Uses only the public API.
 */
import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { CronScheduler, RQError, VERSION, Worker, importFunction, isSuspended, resume, suspend, loadSettings, openConnection, type DequeueStrategy, type ExceptionHandler, type Job } from '../index.js';

const program = new Command('rq')
  .description('RQ (Redis Queue) for Node.js: run workers on RQ queues, with Python RQ\'s Redis layout.')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

/** The options every command shares, as RQ's CLI has them. */
function withSharedOptions(command: Command): Command {
  return command
    .addOption(new Option('-u, --url <url>', 'Redis URL (redis://, rediss://, unix://)').env('RQ_REDIS_URL'))
    .addOption(new Option('-c, --config <module>', 'config file or module with RQ settings (REDIS_URL, SENTINEL, QUEUES...)').env('RQ_CONFIG'))
    .option('-P, --path <dir>', 'directory to import job functions and the config from (repeatable)', collect, [] as string[]);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface WorkerFlags {
  url?: string;
  config?: string;
  path: string[];
  burst?: boolean;
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
  quiet?: boolean;
}

withSharedOptions(program.command('worker'))
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
  .option('-q, --quiet', 'print warnings and errors only')
  .action(async (queues: string[], flags: WorkerFlags) => {
    const paths = (flags.path.length > 0 ? flags.path : ['.']).map((dir) => resolve(dir));
    const tuning = {
      concurrency: wholeNumber(flags.concurrency, '--concurrency'),
      defaultResultTtl: wholeNumber(flags.resultsTtl, '--results-ttl'),
      workerTtl: wholeNumber(flags.workerTtl, '--worker-ttl'),
      jobMonitoringInterval: wholeNumber(flags.jobMonitoringInterval, '--job-monitoring-interval'),
      maintenanceInterval: wholeNumber(flags.maintenanceInterval, '--maintenance-interval'),
      dequeueStrategy: flags.dequeueStrategy ?? 'default',
      isolated: flags.isolated ?? false,
      disableDefaultExceptionHandler: flags.disableDefaultExceptionHandler ?? false,
    } as const;
    const exceptionHandlers = (await Promise.all(flags.exceptionHandler.map((name) => importFunction(name, paths)))) as ExceptionHandler[];
    const limits = {
      burst: flags.burst ?? false,
      withScheduler: flags.withScheduler ?? false,
      ...(flags.maxJobs !== undefined && { maxJobs: wholeNumber(flags.maxJobs, '--max-jobs') }),
      ...(flags.maxIdleTime !== undefined && { maxIdleTime: wholeNumber(flags.maxIdleTime, '--max-idle-time') }),
    };
    const settings = await loadSettings({ url: flags.url, config: flags.config, paths });
    const connection = await openConnection(settings);
    if (await isSuspended({ connection })) {
      await connection.quit();
      throw new RQError('RQ is currently suspended, to resume job execution run "rq resume".');
    }
    const queueNames = queues.length > 0 ? queues : (settings.QUEUES ?? ['default']);
    const worker = new Worker(queueNames, {
      connection,
      paths,
      ...tuning,
      exceptionHandlers,
      ...((flags.name ?? settings.NAME) !== undefined && { name: String(flags.name ?? settings.NAME) }),
    });
    const log = (line: string) => {
      if (!flags.quiet) console.log(`${new Date().toTimeString().slice(0, 8)} ${line}`);
    };
    worker.on('worker:started', () => {
      log(`Worker ${worker.key} started with PID ${process.pid}, rq-ts ${VERSION}`);
      log(`*** Listening on ${queueNames.join(', ')}...`);
    });
    worker.on('job:started', (job: Job, queue: string) => log(`${queue}: ${job.description} (${job.id})`));
    worker.on('job:finished', (job: Job, queue: string, seconds: number) => log(`${queue}: Job OK (${job.id}) in ${formatSeconds(seconds)}`));
    worker.on('job:failed', (job: Job | undefined, queue: string, error: Error, seconds: number) =>
      console.error(`${new Date().toTimeString().slice(0, 8)} ${queue}: Job failed (${job?.id ?? 'unreadable job'}) in ${formatSeconds(seconds)}: ${error.name}: ${error.message}`),
    );
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        log(`${signal} received: warm shut down requested, finishing the running jobs (send it again to stop them now)`);
        worker.stop();
      } else {
        console.error(`${signal} received again: cold shut down, interrupting the running jobs`);
        process.exitCode = 1;
        worker.stop({ cold: true });
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await worker.work(limits);
      log(`Worker ${worker.name} done, quitting`);
    } finally {
      await worker.close();
      await connection.quit();
    }
  });

function wholeNumber(text: string | undefined, flag: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, got '${text}'.`);
  return Number(text);
}

/** A bad argument found after parsing: exit code 2, as commander's own usage errors. */
class UsageError extends Error {}

/** Opens the connection the shared options describe. */
async function connect(flags: { url?: string; config?: string; path: string[] }) {
  const paths = (flags.path.length > 0 ? flags.path : ['.']).map((dir) => resolve(dir));
  return openConnection(await loadSettings({ url: flags.url, config: flags.config, paths }));
}

withSharedOptions(program.command('cron'))
  .description('Run a cron scheduler: enqueue the functions CONFIG registers, every interval or at the times of a cron expression.')
  .argument('<config>', 'JavaScript module whose default export registers cron jobs: export default (cron) => { cron.register(...) }')
  .option('-n, --name <name>', 'scheduler name, unique among running schedulers (default: <hostname>:<pid>:<random>, as RQ)')
  .option('-q, --quiet', 'print warnings and errors only')
  .action(async (config: string, flags: { url?: string; config?: string; path: string[]; name?: string; quiet?: boolean }) => {
    const paths = (flags.path.length > 0 ? flags.path : ['.']).map((dir) => resolve(dir));
    const connection = await connect(flags);
    const log = (line: string) => {
      if (!flags.quiet) console.log(`${new Date().toTimeString().slice(0, 8)} ${line}`);
    };
    // While Redis is unreachable, say so once (not at every reconnection attempt), and again once it is back.
    let down = false;
    connection.on('error', (error: Error) => {
      if (!down) console.error(`${new Date().toTimeString().slice(0, 8)} Redis connection lost, reconnecting: ${error.message}`);
      down = true;
    });
    connection.on('ready', () => {
      if (down) log('Redis connection back');
      down = false;
    });
    try {
      const scheduler = new CronScheduler({ connection, ...(flags.name !== undefined && { name: flags.name }) });
      await scheduler.loadConfig(config, paths);
      if (scheduler.getJobs().length === 0) throw new RQError(`Cron config ${scheduler.configFile} registers no cron jobs: call cron.register(...) in its default export.`);
      for (const job of scheduler.getJobs()) {
        log(`Registered ${job.funcName} (${job.name}) on ${job.queueName}: ${job.interval !== undefined ? `every ${job.interval} s` : `cron "${job.cron}" (${job.timezone})`}`);
      }
      scheduler.on('job:enqueued', (cronJob, job) => log(`${cronJob.queueName}: enqueued ${job.description} (${job.id})`));
      scheduler.on('cron:error', (error) => {
        if (!down) console.error(`${new Date().toTimeString().slice(0, 8)} Cron pass failed, trying again in a second: ${error.message}`);
      });
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          console.error(`${signal} received again: exiting now`);
          process.exit(1);
        }
        log(`${signal} received: stopping the cron scheduler (send it again to exit at once)`);
        scheduler.stop();
        // Commands waiting for an unreachable Redis would hold the stop until they give up: fail them now.
        if (connection.status !== 'ready') connection.disconnect();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      log(`Cron scheduler ${scheduler.name} started with PID ${process.pid}, rq-ts ${VERSION}`);
      await scheduler.start();
      log(`Cron scheduler ${scheduler.name} stopped`);
    } finally {
      if (connection.status === 'ready') await connection.quit();
      else connection.disconnect();
    }
  });

withSharedOptions(program.command('suspend'))
  .description('Suspend every worker: no new job starts until `rq resume` (running jobs finish).')
  .option('--duration <seconds>', 'resume by itself after this many seconds')
  .action(async (flags: { url?: string; config?: string; path: string[]; duration?: string }) => {
    const duration = flags.duration === undefined ? undefined : wholeNumber(flags.duration, '--duration');
    if (duration !== undefined && duration < 1) throw new UsageError('--duration must be at least 1 second.');
    const connection = await connect(flags);
    try {
      await suspend({ connection, ...(duration !== undefined && { duration }) });
      console.log(duration !== undefined
        ? `Suspending workers for ${duration} seconds. No new jobs will be started during that time, then they resume by themselves.`
        : 'Suspending workers. No new jobs will be started, but current jobs will be completed.');
    } finally {
      await connection.quit();
    }
  });

withSharedOptions(program.command('resume'))
  .description('Resume the workers suspended with `rq suspend`.')
  .action(async (flags: { url?: string; config?: string; path: string[] }) => {
    const connection = await connect(flags);
    try {
      await resume({ connection });
      console.log('Resuming workers.');
    } finally {
      await connection.quit();
    }
  });

function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(2)} s`;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof RQError) {
    console.error(`Error: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(`Error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
