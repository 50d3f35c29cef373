#!/usr/bin/env node
/**
 * The `rq` command line, as RQ users know it (RQ-REFERENCE.md §1.12): `worker`, `worker-pool`,
 * `info`, `enqueue`, `requeue`, `empty`, `suspend`, `resume` and `cron`. Exit codes: 0 success, 1 failure, 2 bad
 * usage; every error is one line. Uses only the public API.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  CronScheduler,
  DeserializationError,
  FailedJobRegistry,
  NoSuchJobError,
  InvalidJobOperationError,
  Queue,
  RQError,
  Retry,
  VERSION,
  Worker,
  callString,
  durableFromSettings,
  importFunction,
  validateJobId,
  isSuspended,
  maskUrl,
  parseDuration,
  parseJobTimeout,
  resume,
  suspend,
  type DequeueStrategy,
  type EnqueueOptions,
  type ExceptionHandler,
  type Job,
  type RedisConnection,
  type WorkOptions,
} from '../index.js';
import { checkFunctionName, parseFunctionArgs } from './enqueue-args.js';
import { gatherInfo, renderInfo, totalJobs } from './info.js';
import { POOL_WORKER_ENV, runPool } from './pool.js';
import { Progress } from './progress.js';
import { UsageError, checkFlag, closeAll, closeConnection, collect, colorsFor, connect, makeLogger, pathsOf, serializerOf, settingsOf, tolerateClosedOutput, wholeNumber, withSharedOptions, type CliLogger, type SharedFlags } from './shared.js';

/** RQ's logging options: -l/--logging-level (and RQ 1.13's --logging_level), -v, -q, --log-format, --date-format. */
function withLoggingOptions(command: Command): Command {
  return command
    .option('-l, --logging-level <level>', 'DEBUG, INFO, WARNING, ERROR or CRITICAL', 'INFO')
    .addOption(new Option('--logging_level <level>', 'RQ 1.13 spelling of --logging-level').hideHelp())
    .option('-v, --verbose', 'show debug lines (--logging-level DEBUG)')
    .option('-q, --quiet', 'print warnings and errors only (--logging-level WARNING)')
    .option('--log-format <format>', 'Python %-style: %(asctime)s %(message)s %(levelname)s %(name)s %(process)d', '%(asctime)s %(message)s')
    .option('--date-format <format>', 'strftime directives for %(asctime)s', '%H:%M:%S');
}

interface LoggingFlags {
  loggingLevel?: string;
  logging_level?: string;
  verbose?: boolean;
  quiet?: boolean;
  logFormat?: string;
  dateFormat?: string;
}

/** The logger the logging options describe; -v and -q win over the level, as in RQ. */
function loggerOf(flags: LoggingFlags, name: string) {
  if (flags.verbose && flags.quiet) throw new UsageError('-v/--verbose and -q/--quiet cannot be used together.');
  const level = flags.verbose ? 'DEBUG' : flags.quiet ? 'WARNING' : (flags.logging_level ?? flags.loggingLevel);
  return makeLogger({ level, format: flags.logFormat, dateFormat: flags.dateFormat }, name);
}

/** The logging options as arguments again, for the workers of a pool. */
function loggingArgs(flags: LoggingFlags): string[] {
  return [
    ...(flags.verbose ? ['--verbose'] : []),
    ...(flags.quiet ? ['--quiet'] : []),
    ...(flags.logging_level ?? flags.loggingLevel ? ['--logging-level', (flags.logging_level ?? flags.loggingLevel)!] : []),
    ...(flags.logFormat !== undefined ? ['--log-format', flags.logFormat] : []),
    ...(flags.dateFormat !== undefined ? ['--date-format', flags.dateFormat] : []),
  ];
}

const program = new Command('rq')
  .description('RQ (Redis Queue) for Node.js: run workers on RQ queues, with Python RQ\'s Redis layout.')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

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
  .action(async (queues: string[], flags: WorkerFlags) => {
    const logger = loggerOf(flags, 'rq.worker');
    const paths = pathsOf(flags);
    const serializer = serializerOf(flags);
    const tuning = {
      concurrency: wholeNumber(flags.concurrency, '--concurrency', 1),
      defaultResultTtl: wholeNumber(flags.resultsTtl, '--results-ttl'),
      workerTtl: wholeNumber(flags.workerTtl, '--worker-ttl', 1),
      jobMonitoringInterval: wholeNumber(flags.jobMonitoringInterval, '--job-monitoring-interval', 1),
      maintenanceInterval: wholeNumber(flags.maintenanceInterval, '--maintenance-interval', 1),
      dequeueStrategy: flags.dequeueStrategy ?? 'default',
      isolated: flags.isolated ?? false,
      disableDefaultExceptionHandler: flags.disableDefaultExceptionHandler ?? false,
    } as const;
    const limits = {
      burst: flags.burst ?? false,
      withScheduler: flags.withScheduler ?? false,
      ...(flags.maxJobs !== undefined && { maxJobs: wholeNumber(flags.maxJobs, '--max-jobs', 1) }),
      ...(flags.maxIdleTime !== undefined && { maxIdleTime: wholeNumber(flags.maxIdleTime, '--max-idle-time', 1) }),
    };
    const exceptionHandlers = await Promise.all(flags.exceptionHandler.map((name) => checkFlag('--exception-handler', () => importFunction(name, paths)))) as ExceptionHandler[];
    const settings = await settingsOf(flags);
    const durable = durableFromSettings(settings);
    const connection = await connect(flags, { reportFailover: false });
    try {
      // A worker of a pool waits out a suspension (the Worker pauses by itself); alone, it refuses, as RQ's.
      const inPool = process.env[POOL_WORKER_ENV] === '1' && typeof process.send === 'function';
      if (!inPool && (await isSuspended({ connection }))) throw new RQError('RQ is currently suspended, to resume job execution run "rq resume".');
      const queueNames = queues.length > 0 ? queues : (settings.QUEUES ?? ['default']);
      const worker = new Worker(queueNames, {
        connection,
        paths,
        serializer,
        ...tuning,
        exceptionHandlers,
        ...(durable !== undefined && { durable }),
        ...((flags.name ?? settings.NAME) !== undefined && { name: String(flags.name ?? settings.NAME) }),
        logger: { debug: logger.debug, info: logger.debug, warn: logger.warn, error: logger.error },
      });
      await runWorker(worker, { queueNames, logger, limits, inPool, pid: flags.pid });
    } finally {
      await closeConnection(connection);
    }
  });

/** Runs a worker of `rq worker` until it is done: its log lines, its signals, its pid file. */
async function runWorker(worker: Worker, run: { queueNames: readonly string[]; logger: CliLogger; limits: WorkOptions; inPool: boolean; pid: string | undefined }): Promise<void> {
  const { queueNames, logger, limits, inPool, pid } = run;
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
  worker.on('worker:idle', () => logger.debug(`*** Listening on ${queueNames.join(', ')}...`));
  worker.on('command:received', (command, slot) => logger.info(`${slot}: received command ${JSON.stringify(command)}`));
  worker.on('worker:error', (error) => logger.warn(`Worker error, going on: ${error.message}`));
  worker.on('redis:writable', () => log('Redis takes writes again: the held job endings are recorded; taking jobs again'));
  let signals = 0;
  let cold = false;
  const onSignal = (signal: NodeJS.Signals | 'disconnect') => {
    signals += 1;
    if (signals === 1 && signal !== 'disconnect') {
      log(`${signal} received: warm shut down requested, finishing the running jobs (send it again to stop them now)`);
      worker.stop();
    } else if (signal === 'disconnect') {
      logger.warn('The worker pool went away: warm shut down, finishing the running jobs');
      worker.stop();
    } else if (cold) {
      // The cold stop waits for the interrupted jobs' endings to be recorded: with Redis gone that can last.
      logger.error(`${signal} received a third time: exiting now, without recording the interrupted jobs (they are found abandoned later)`);
      process.exit(1);
    } else {
      logger.error(`${signal} received again: cold shut down, interrupting the running jobs (send it again to exit at once)`);
      cold = true;
      process.exitCode = 1;
      worker.stop({ cold: true });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A pool's worker stops when the pool dies (its IPC channel closes), even when killed with SIGKILL;
  // the channel itself does not keep the process alive once the worker is done.
  if (inPool) {
    process.channel?.unref();
    process.on('disconnect', () => onSignal('disconnect'));
  }
  if (pid !== undefined) writeFileSync(pid, `${process.pid}\n`);
  try {
    await worker.work(limits);
    log(`Worker ${worker.name} done, quitting`);
  } finally {
    if (pid !== undefined) rmSync(pid, { force: true });
    await worker.close();
  }
  // After a cold stop the interrupted jobs' own timers may still hold the process: it is done.
  if (cold) process.exit(1);
}

withLoggingOptions(withSharedOptions(program.command('cron')))
  .description('Run a cron scheduler: enqueue the functions CONFIG registers, every interval or at the times of a cron expression.')
  .argument('<config>', 'JavaScript module whose default export registers cron jobs: export default (cron) => { cron.register(...) }')
  .option('-n, --name <name>', 'scheduler name, unique among running schedulers (default: <hostname>:<pid>:<random>, as RQ)')
  .action(async (config: string, flags: SharedFlags & LoggingFlags & { name?: string }) => {
    serializerOf(flags);
    const logger = loggerOf(flags, 'rq.cron');
    const paths = pathsOf(flags);
    const connection = await connect(flags);
    const log = logger.info;
    // connect() says once that Redis is gone; the failed passes meanwhile are not worth a line each.
    let down = false;
    connection.on('error', () => (down = true));
    connection.on('ready', () => (down = false));
    try {
      const scheduler = new CronScheduler({ connection, ...(flags.name !== undefined && { name: flags.name }) });
      await scheduler.loadConfig(config, paths);
      if (scheduler.getJobs().length === 0) throw new RQError(`Cron config ${scheduler.configFile} registers no cron jobs: call cron.register(...) in its default export.`);
      for (const job of scheduler.getJobs()) {
        log(`Registered ${job.funcName} (${job.name}) on ${job.queueName}: ${job.interval !== undefined ? `every ${job.interval} s` : `cron "${job.cron}" (${job.timezone})`}`);
      }
      scheduler.on('job:enqueued', (cronJob, job) => log(`${cronJob.queueName}: enqueued ${job.description} (${job.id})`));
      scheduler.on('cron:error', (error) => {
        if (!down) logger.error(`Cron pass failed, trying again in a second: ${error.message}`);
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
      await closeConnection(connection);
    }
  });

interface InfoFlags extends SharedFlags {
  interval?: string;
  raw?: boolean;
  onlyQueues?: boolean;
  onlyWorkers?: boolean;
  byQueue?: boolean;
}

withSharedOptions(program.command('info'))
  .description('Show the queues (jobs waiting, and counts per registry) and the workers; QUEUES only, when given.')
  .argument('[queues...]', 'queue names (default: every queue)')
  .option('-i, --interval <seconds>', 'redraw every this many seconds until Ctrl-C, like top')
  .option('-r, --raw', 'plain lines for scripts: "queue <name> <count>, ...", "worker <name> (...) <state> <queues>. ..."')
  .option('-Q, --only-queues', 'show the queues only')
  .option('-W, --only-workers', 'show the workers only')
  .option('-R, --by-queue', 'show the workers of each queue')
  .action(async (queues: string[], flags: InfoFlags) => {
    serializerOf(flags);
    const interval = flags.interval === undefined ? undefined : Number(flags.interval);
    if (interval !== undefined && !(interval > 0)) throw new UsageError(`--interval must be a number of seconds above 0, got '${flags.interval}'.`);
    const view = {
      raw: flags.raw ?? false,
      byQueue: flags.byQueue ?? false,
      show: flags.onlyQueues ? ('queues' as const) : flags.onlyWorkers ? ('workers' as const) : ('both' as const),
      columns: process.stdout.columns ?? 80,
    };
    const colors = colorsFor(process.stdout);
    const connection = await connect(flags);
    let stopped = false;
    let wake: (() => void) | undefined;
    const onSignal = () => {
      stopped = true;
      wake?.();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      for (let frame = 0; !stopped; frame++) {
        const snapshot = await gatherInfo(connection, queues);
        // A queue named here that Redis does not know is a typo, as for rq empty and rq requeue;
        // one that holds jobs (in any registry) or has workers waiting on it is shown, in rq:queues or not.
        const idle = snapshot.queues.filter((queue) => totalJobs(queue) === 0 && (snapshot.workersByQueue.get(queue.name) ?? []).length === 0);
        if (frame === 0) await requireQueues(connection, idle.map((queue) => queue.name), '');
        const lines = renderInfo(snapshot, { ...view, columns: process.stdout.columns ?? 80 }, colors);
        if (interval === undefined) {
          if (lines.length > 0) console.log(lines.join('\n'));
          break;
        }
        // Redrawn in place on a terminal; one frame after another, a blank line apart, in a pipe.
        const clear = process.stdout.isTTY ? '\u001b[H\u001b[2J' : frame > 0 ? '\n' : '';
        process.stdout.write(`${clear}${lines.join('\n')}\n`);
        if (stopped) break; // Ctrl-C while the frame was gathered: no further wait
        await new Promise<void>((done) => {
          const timer = setTimeout(done, interval * 1000);
          wake = () => {
            clearTimeout(timer);
            done();
          };
        });
      }
    } finally {
      await closeConnection(connection);
    }
  });

interface EnqueueFlags extends SharedFlags {
  queue: string;
  timeout?: string;
  resultTtl?: string;
  ttl?: string;
  failureTtl?: string;
  description?: string;
  dependsOn: string[];
  jobId?: string;
  atFront?: boolean;
  retryMax?: string;
  retryInterval: string[];
  scheduleIn?: string;
  scheduleAt?: string;
  quiet?: boolean;
}

withSharedOptions(program.command('enqueue'))
  .description('Enqueue a call of FUNCTION (a dotted name a worker knows) with ARGS.')
  .argument('<function>', 'dotted function name, e.g. tasks.sendEmail')
  .argument('[args...]', 'arguments: value (text), key=value, :json, key:=json, @file, key=@file, :@file (JSON from a file)')
  .option('-q, --queue <name>', 'the queue', 'default')
  .option('--timeout <duration>', 'job timeout: seconds or 10s, 5m, 1h (-1: none)')
  .option('--result-ttl <duration>', 'keep the result this long (-1: forever, 0: not at all)')
  .option('--ttl <duration>', 'drop the job if it has not started within this long')
  .option('--failure-ttl <duration>', 'keep a failed job this long')
  .option('--description <text>', 'what tools show (default: the call)')
  .option('--depends-on <job-id>', 'wait until this job has finished (repeatable)', collect, [] as string[])
  .option('--job-id <id>', 'the job id (default: a new UUID)')
  .option('--at-front', 'put the job at the head of the queue')
  .option('--retry-max <n>', 'retries after a failure', '0')
  .option('--retry-interval <seconds>', 'wait before a retry (repeatable: one per retry, the last reused)', collect, [] as string[])
  .option('--schedule-in <duration>', 'enqueue it after this delay: 10s, 5m, 2d (needs a worker with --with-scheduler)')
  .option('--schedule-at <time>', 'enqueue it at this time: 2026-12-24T18:00:00 (local time) or with Z / an offset')
  .option('--quiet', 'print nothing but errors')
  .action(async (func: string, argv: string[], flags: EnqueueFlags) => {
    const serializer = serializerOf(flags);
    checkFunctionName(func);
    const { args, kwargs } = parseFunctionArgs(argv, (path) => readFileSync(path, 'utf8'));
    const options: EnqueueOptions = { args, kwargs };
    const set = <K extends keyof EnqueueOptions>(key: K, value: EnqueueOptions[K] | undefined) => {
      if (value !== undefined) options[key] = value;
    };
    // Each option checked here, naming its flag, before anything is written.
    const duration = (text: string | undefined, flag: string, least: number, means: string) => {
      if (text === undefined) return undefined;
      const seconds = checkFlag(flag, () => parseDuration(text, flag));
      if (seconds < least) throw new UsageError(`${flag} '${text}': ${means}.`);
      return seconds;
    };
    if (flags.timeout !== undefined) set('jobTimeout', checkFlag('--timeout', () => parseJobTimeout(flags.timeout!)));
    set('resultTtl', duration(flags.resultTtl, '--result-ttl', -1, 'use -1 (forever), 0 (keep no result) or more seconds'));
    set('ttl', duration(flags.ttl, '--ttl', 1, 'use 1 second or more'));
    set('failureTtl', duration(flags.failureTtl, '--failure-ttl', -1, 'use -1 (forever), 0 or more seconds'));
    set('description', flags.description);
    if (flags.jobId !== undefined) set('jobId', checkFlag('--job-id', () => validateJobId(flags.jobId!)));
    set('atFront', flags.atFront);
    if (flags.dependsOn.length > 0) options.dependsOn = flags.dependsOn.map((id) => checkFlag('--depends-on', () => validateJobId(id)));
    const retryMax = wholeNumber(flags.retryMax, '--retry-max');
    if (retryMax > 0) {
      const intervals = flags.retryInterval.length > 0 ? flags.retryInterval.map((text) => wholeNumber(text, '--retry-interval')) : [0];
      options.retry = new Retry({ max: retryMax, interval: intervals });
    } else if (flags.retryInterval.length > 0) {
      throw new UsageError('--retry-interval needs --retry-max above 0.');
    }
    if (flags.scheduleIn !== undefined && flags.scheduleAt !== undefined) throw new UsageError("You can't specify both --schedule-in and --schedule-at.");
    if (flags.scheduleIn !== undefined) options.in = duration(flags.scheduleIn, '--schedule-in', 0, 'a delay cannot be negative')!;
    if (flags.scheduleAt !== undefined) options.at = parseScheduleAt(flags.scheduleAt);
    const durable = durableFromSettings(await settingsOf(flags));
    const connection = await connect(flags);
    try {
      const job = await new Queue(flags.queue, { connection, serializer, ...(durable !== undefined && { durable }) }).enqueueCall(func, options);
      if (!flags.quiet) {
        const colors = colorsFor(process.stdout);
        const when = job.status === 'scheduled' ? ` (scheduled${options.at ? ` at ${options.at.toISOString()}` : ''})` : job.status === 'deferred' ? ' (deferred until its dependencies finish)' : '';
        console.log(`Enqueued ${colors.blue(callString(func, args, kwargs))} with job-id '${job.id}'${when}.`);
      }
    } finally {
      await closeConnection(connection);
    }
  });

/**
 * `--schedule-at`: `YYYY-MM-DDTHH:MM[:SS[.fff]]`, local time (as RQ's strptime) unless it ends with
 * `Z` or an offset. Impossible dates (the 30th of February, 24:00) are refused, as Python refuses them.
 */
function parseScheduleAt(text: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  const usage = `--schedule-at '${text}': use 2026-12-24T18:00:00 (local time), or add Z or an offset.`;
  if (!match) throw new UsageError(usage);
  const [, year, month, day, hour, minute, second = '0'] = match.map((part) => part) as string[];
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) throw new UsageError(`--schedule-at '${text}': there is no such time.`);
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new UsageError(usage);
  // The library allows a second of clock slack for `at`; a time further back is a mistake here.
  if (at.getTime() < Date.now() - 1000) throw new UsageError(`--schedule-at '${text}': that time has passed. Leave --schedule-at out to run the job now.`);
  return at;
}

/** Queue names that exist (in rq:queues), else a failure naming those that do not; `outcome` ends its message. */
async function requireQueues(connection: RedisConnection, names: readonly string[], outcome = ': nothing done'): Promise<void> {
  if (names.length === 0) return;
  const known = new Set((await Queue.all({ connection })).map((queue) => queue.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RQError(`No queue named ${unknown.map((name) => `'${name}'`).join(', ')} (not in rq:queues${known.size > 0 ? `; there are: ${[...known].join(', ')}` : ''})${outcome}.`);
  }
}

withSharedOptions(program.command('requeue'))
  .description('Put failed jobs of a queue back on it: the JOB_IDS given, or --all.')
  .argument('[job-ids...]', 'ids of failed jobs')
  .requiredOption('--queue <name>', 'the queue whose failed jobs to requeue')
  .option('-a, --all', 'every failed job of the queue')
  .action(async (jobIds: string[], flags: SharedFlags & { queue: string; all?: boolean }) => {
    const serializer = serializerOf(flags);
    if (!flags.all && jobIds.length === 0) throw new UsageError('give job ids, or --all for every failed job of the queue.');
    const connection = await connect(flags);
    try {
      const registry = new FailedJobRegistry(flags.queue, { connection, serializer });
      // A queue no longer in rq:queues may still have failed jobs: only a queue with neither is unknown.
      if ((await registry.count()) === 0) await requireQueues(connection, [flags.queue]);
      const ids = flags.all ? await registry.getJobIds() : jobIds;
      if (ids.length === 0) {
        console.log('Nothing to do');
        return;
      }
      console.log(`Requeueing ${ids.length} jobs from failed queue`);
      const progress = new Progress(process.stdout, ids.length, 'Requeueing');
      const notThere: string[] = [];
      const gone: string[] = [];
      let requeued = 0;
      for (const id of ids) {
        try {
          await registry.requeue(id);
          requeued += 1;
        } catch (error) {
          if (error instanceof InvalidJobOperationError) notThere.push(id);
          else if (error instanceof NoSuchJobError) gone.push(id);
          else if (error instanceof DeserializationError) requeued += 1; // requeued; only reading it back failed
          else throw error;
        }
        progress.tick();
      }
      progress.end();
      const sample = (list: string[]) => `${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''}`;
      const red = colorsFor(process.stderr).red;
      if (notThere.length > 0) console.error(red(`Unable to requeue ${notThere.length} jobs from failed job registry (not in it: ${sample(notThere)})`));
      if (gone.length > 0) console.error(red(`Unable to requeue ${gone.length} jobs whose job hash is gone (expired or deleted; their ids were removed from the registry): ${sample(gone)}`));
      if (notThere.length + gone.length > 0) process.exitCode = 1;
      console.log(`Requeued ${requeued} jobs onto ${flags.queue}`);
    } finally {
      await closeConnection(connection);
    }
  });

withSharedOptions(program.command('empty'))
  .description('Remove every waiting job of QUEUES (or of every queue, with --all), jobs included.')
  .argument('[queues...]', 'queue names')
  .option('-a, --all', 'every queue')
  .action(async (names: string[], flags: SharedFlags & { all?: boolean }) => {
    const serializer = serializerOf(flags);
    if (!flags.all && names.length === 0) throw new UsageError('give queue names, or --all.');
    const connection = await connect(flags);
    try {
      if (!flags.all) await requireQueues(connection, names);
      const queues = flags.all ? await Queue.all({ connection, serializer }) : names.map((name) => new Queue(name, { connection, serializer }));
      if (queues.length === 0) {
        console.log('Nothing to do');
        return;
      }
      for (const queue of queues) console.log(`${await queue.empty()} jobs removed from ${queue.name} queue`);
    } finally {
      await closeConnection(connection);
    }
  });

withLoggingOptions(withSharedOptions(program.command('worker-pool')))
  .description('Run N workers on QUEUES, each a process of its own, replaced when it dies; SIGINT/SIGTERM stop them.')
  .argument('[queues...]', 'queue names, highest priority first (default: QUEUES from the config, else "default")')
  .option('-n, --num-workers <n>', 'workers in the pool', '2')
  .option('-b, --burst', 'each worker runs until the queues are empty; the pool ends when they all have')
  .option('--concurrency <n>', 'jobs each worker runs at the same time', '1')
  .action(async (queues: string[], flags: SharedFlags & LoggingFlags & { numWorkers?: string; burst?: boolean; concurrency?: string }) => {
    serializerOf(flags);
    const logger = loggerOf(flags, 'rq.worker_pool');
    const size = wholeNumber(flags.numWorkers, '--num-workers', 1);
    wholeNumber(flags.concurrency, '--concurrency', 1);
    await closeConnection(await connect(flags)); // a bad setting or an unreachable Redis fails here, once, not in every worker
    const shared = [
      ...(flags.url !== undefined ? ['--url', flags.url] : []),
      ...(flags.config !== undefined ? ['--config', flags.config] : []),
      ...pathsOf(flags).flatMap((dir) => ['--path', dir]),
      ...(flags.serializer !== undefined ? ['--serializer', flags.serializer] : []),
    ];
    const workerArgs = [...queues, ...shared, '--concurrency', String(flags.concurrency), ...(flags.burst ? ['--burst'] : []), ...loggingArgs(flags)];
    const log = logger.info;
    process.exitCode = await runPool({ size, workerArgs, burst: flags.burst ?? false, log });
    log('Worker pool stopped');
  });

withSharedOptions(program.command('dashboard'))
  .description('Serve the web dashboard: queues, jobs and workers of this Redis (and others given with --redis), with actions.')
  .option('--port <n>', 'port to listen on', '9181')
  .option('--bind <address>', 'address to listen on: loopback unless told otherwise', '127.0.0.1')
  .option('--read-only', 'show everything, allow no action')
  .option('--auth <user:password>', 'ask for these credentials (HTTP basic auth)')
  .option('--redis <url>', 'another Redis to show, selectable in the page (repeatable)', collect, [] as string[])
  .action(async (flags: SharedFlags & { port?: string; bind: string; readOnly?: boolean; auth?: string; redis: string[] }) => {
    serializerOf(flags);
    const port = wholeNumber(flags.port, '--port');
    if (port > 65535) throw new UsageError(`--port must be a port number, 0 to 65535, got '${flags.port}'.`);
    let auth: { username: string; password: string } | undefined;
    if (flags.auth !== undefined) {
      const colon = flags.auth.indexOf(':');
      if (colon <= 0 || colon === flags.auth.length - 1) throw new UsageError('--auth takes user:password.');
      auth = { username: flags.auth.slice(0, colon), password: flags.auth.slice(colon + 1) };
    }
    const main = await connect(flags);
    const others = await Promise.all(flags.redis.map((url) => connect({ path: flags.path, url })));
    // A page must say at once that a Redis is gone, not after ioredis' 20 reconnection attempts.
    for (const connection of [main, ...others]) Object.assign(connection.options, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const instances = [
      { name: flags.url !== undefined ? maskUrl(flags.url) : flags.config !== undefined ? `config ${flags.config}` : 'default', connection: main },
      ...flags.redis.map((url, index) => ({ name: maskUrl(url), connection: others[index]! })),
    ];
    const { createDashboard } = await import('../dashboard/index.js');
    const handler = createDashboard({ instances, readOnly: flags.readOnly ?? false, ...(auth && { auth }) });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', (error) => rejectListen(new RQError(`Cannot listen on ${flags.bind}:${port}: ${error.message}`)));
      server.listen(port, flags.bind, () => resolveListen());
    });
    const loopback = flags.bind === '127.0.0.1' || flags.bind === '::1' || flags.bind === 'localhost';
    if (!loopback && !auth) console.error(`Warning: listening on ${flags.bind} without --auth: anyone who reaches this address can act on your queues${flags.readOnly ? ' (read-only: see them)' : ''}.`);
    console.log(`rq-ts dashboard on http://${flags.bind.includes(':') ? `[${flags.bind}]` : flags.bind}:${(server.address() as { port: number }).port}/${flags.readOnly ? ' (read-only)' : ''}`);
    await new Promise<void>((done) => {
      const stop = () => {
        server.close(() => done());
        server.closeAllConnections();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await Promise.all(instances.map((instance) => closeConnection(instance.connection)));
  });

withSharedOptions(program.command('suspend'))
  .description('Suspend every worker: no new job starts until `rq resume` (running jobs finish).')
  .option('--duration <seconds>', 'resume by itself after this many seconds')
  .action(async (flags: SharedFlags & { duration?: string }) => {
    const duration = flags.duration === undefined ? undefined : wholeNumber(flags.duration, '--duration', 1);
    serializerOf(flags);
    const connection = await connect(flags);
    try {
      await suspend({ connection, ...(duration !== undefined && { duration }) });
      console.log(duration !== undefined
        ? `Suspending workers for ${duration} seconds. No new jobs will be started during that time, then they resume by themselves.`
        : 'Suspending workers. No new jobs will be started, but current jobs will be completed.');
    } finally {
      await closeConnection(connection);
    }
  });

withSharedOptions(program.command('resume'))
  .description('Resume the workers suspended with `rq suspend`.')
  .action(async (flags: SharedFlags) => {
    serializerOf(flags);
    const connection = await connect(flags);
    try {
      await resume({ connection });
      console.log('Resuming workers.');
    } finally {
      await closeConnection(connection);
    }
  });

function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(2)} s`;
}

tolerateClosedOutput();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(`Error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
} finally {
  await closeAll();
}
exitEvenIfHeld(process.exitCode !== undefined && process.exitCode !== 0);

/**
 * A command that is done has closed what it opened, so the process ends by itself. Should
 * something still hold it, it must not look alive under systemd, Kubernetes or CI while doing
 * nothing: it exits anyway. After a success that is a job module's own handle (a database client
 * or a timer made when it was imported), and it exits at once, quietly; after an error it could be
 * a bug of ours, and it says what held it.
 */
function exitEvenIfHeld(failed: boolean): void {
  setTimeout(() => {
    if (failed) {
      const held = process.getActiveResourcesInfo().filter((resource) => resource !== 'Timeout');
      process.stderr.write(`rq: exiting: still held open after the error (${held.join(', ') || 'timers'}).\n`);
    }
    process.exit();
  }, failed ? 2000 : 0).unref();
}
