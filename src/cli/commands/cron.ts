/**
 * `rq cron CONFIG`: a cron scheduler in the foreground, enqueueing the functions CONFIG registers
 * (RQ 2.4's `rq cron`). The first SIGINT/SIGTERM stops it after the pass under way, a second
 * exits at once.
 */
import type { Command } from 'commander';
import { CronScheduler, RQError, VERSION, type RedisConnection } from '../../index.js';
import { withOpenConnection } from '../connection.js';
import { loggerOf, withLoggingOptions, type CliLogger, type LoggingFlags } from '../logging.js';
import { pathsOf, sharedOptionsOf, withSharedOptions, type SharedFlags } from '../shared.js';
import { SignalCounter } from '../signals.js';

interface CronFlags extends SharedFlags, LoggingFlags {
  name?: string;
}

/** Adds `rq cron` to the program. */
export function cronCommand(program: Command): void {
  withLoggingOptions(withSharedOptions(program.command('cron')))
    .description('Run a cron scheduler: enqueue the functions CONFIG registers, every interval or at the times of a cron expression.')
    .argument('<config>', 'JavaScript module whose default export registers cron jobs: export default (cron) => { cron.register(...) }')
    .option('-n, --name <name>', 'scheduler name, unique among running schedulers (default: <hostname>:<pid>:<random>, as RQ)')
    .action(startCron);
}

async function startCron(config: string, flags: CronFlags): Promise<void> {
  const shared = sharedOptionsOf(flags);
  const logger = loggerOf(flags, 'rq.cron');
  const paths = pathsOf(flags);
  await withOpenConnection(shared, async (connection) => {
    const scheduler = new CronScheduler({ connection, ...(flags.name !== undefined && { name: flags.name }) });
    logEvents(scheduler, connection, logger);
    await scheduler.loadConfig(config, paths);
    if (scheduler.getJobs().length === 0) throw new RQError(`Cron config ${scheduler.configFile} registers no cron jobs: call cron.register(...) in its default export.`);
    for (const job of scheduler.getJobs()) {
      logger.info(`Registered ${job.funcName} (${job.name}) on ${job.queueName}: ${job.interval !== undefined ? `every ${job.interval} s` : `cron "${job.cron}" (${job.timezone})`}`);
    }
    stopOnSignals(scheduler, connection, logger);
    logger.info(`Cron scheduler ${scheduler.name} started with PID ${process.pid}, rq-ts ${VERSION}`);
    await scheduler.start();
    logger.info(`Cron scheduler ${scheduler.name} stopped`);
  });
}

/** The scheduler's enqueues and failed passes as log lines. */
function logEvents(scheduler: CronScheduler, connection: RedisConnection, logger: CliLogger): void {
  // connect() says once that Redis is gone; the failed passes meanwhile are not worth a line each.
  let down = false;
  connection.on('error', () => (down = true));
  connection.on('ready', () => (down = false));
  scheduler.on('job:enqueued', (cronJob, job) => logger.info(`${cronJob.queueName}: enqueued ${job.description} (${job.id})`));
  scheduler.on('cron:error', (error) => {
    if (!down) logger.error(`Cron pass failed, trying again in a second: ${error.message}`);
  });
}

/** Stops the scheduler at the first signal; exits at the second. */
function stopOnSignals(scheduler: CronScheduler, connection: RedisConnection, logger: CliLogger): void {
  new SignalCounter({
    first: (signal) => {
      logger.info(`${signal} received: stopping the cron scheduler (send it again to exit at once)`);
      scheduler.stop();
      // Commands waiting for an unreachable Redis would hold the stop until they give up: fail them now.
      if (connection.status !== 'ready') connection.disconnect();
    },
    second: (signal) => {
      console.error(`${signal} received again: exiting now`);
      process.exit(1);
    },
  });
}
