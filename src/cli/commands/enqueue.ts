/**
 * `rq enqueue FUNCTION [ARGS...]`: one job on a queue, as RQ's. Every option and argument is
 * checked, naming its flag, before anything is written; the arguments' syntax is enqueue-args.ts'.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Queue, RateLimit, Retry, callString, durableFromSettings, parseDuration, parseJobTimeout, validateJobId, type EnqueueOptions, type Job } from '../../index.js';
import { settingsOf, withOpenConnection } from '../connection.js';
import { checkFunctionName, parseFunctionArgs } from '../enqueue-args.js';
import { UsageError, checkFlag, collect, colorsFor, sharedOptionsOf, wholeNumber, withSharedOptions, type SharedFlags } from '../shared.js';

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
  rateLimit?: string;
  rate?: string;
  scheduleIn?: string;
  scheduleAt?: string;
  quiet?: boolean;
}

/** Adds `rq enqueue` to the program. */
export function enqueueCommand(program: Command): void {
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
    .option('--rate-limit <key:n>', "at most n jobs of this key queued or running at once (RQ's RateLimit): reports:2")
    .option('--rate <key:max/duration>', 'at most max jobs of this key put on their queue per duration: mail:10/1s, api:100/1m, x:5/500ms, quota:1000/1d')
    .option('--schedule-in <duration>', 'enqueue it after this delay: 10s, 5m, 2d (needs a worker with --with-scheduler)')
    .option('--schedule-at <time>', 'enqueue it at this time: 2026-12-24T18:00:00 (local time) or with Z / an offset')
    .option('--quiet', 'print nothing but errors')
    .action(enqueueJob);
}

async function enqueueJob(func: string, argv: string[], flags: EnqueueFlags): Promise<void> {
  const shared = sharedOptionsOf(flags);
  checkFunctionName(func);
  const { args, kwargs } = parseFunctionArgs(argv, (path) => readFileSync(path, 'utf8'));
  const options = enqueueOptionsOf(flags, { args, kwargs });
  const durable = durableFromSettings(await settingsOf(shared));
  await withOpenConnection(shared, async (connection) => {
    const job = await new Queue(flags.queue, { connection, serializer: shared.serializer, ...(durable !== undefined && { durable }) }).enqueueCall(func, options);
    if (!flags.quiet) console.log(`Enqueued ${colorsFor(process.stdout).blue(callString(func, args, kwargs))} with job-id '${job.id}'${whenRun(job, options)}.`);
  });
}

/** The options of the call, each checked here, naming its flag. @throws {UsageError} */
function enqueueOptionsOf(flags: EnqueueFlags, call: Pick<EnqueueOptions, 'args' | 'kwargs'>): EnqueueOptions {
  const options: EnqueueOptions = { ...call };
  const set = <K extends keyof EnqueueOptions>(key: K, value: EnqueueOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  if (flags.timeout !== undefined) set('jobTimeout', checkFlag('--timeout', () => parseJobTimeout(flags.timeout!)));
  set('resultTtl', durationOf(flags.resultTtl, '--result-ttl', -1, 'use -1 (forever), 0 (keep no result) or more seconds'));
  set('ttl', durationOf(flags.ttl, '--ttl', 1, 'use 1 second or more'));
  set('failureTtl', durationOf(flags.failureTtl, '--failure-ttl', -1, 'use -1 (forever), 0 or more seconds'));
  set('description', flags.description);
  if (flags.jobId !== undefined) set('jobId', checkFlag('--job-id', () => validateJobId(flags.jobId!)));
  set('atFront', flags.atFront);
  if (flags.dependsOn.length > 0) options.dependsOn = flags.dependsOn.map((id) => checkFlag('--depends-on', () => validateJobId(id)));
  set('retry', retryOf(flags));
  set('rateLimit', rateLimitOf(flags.rateLimit, flags.rate));
  if (flags.scheduleIn !== undefined && flags.scheduleAt !== undefined) throw new UsageError("You can't specify both --schedule-in and --schedule-at.");
  if (flags.scheduleIn !== undefined) options.in = durationOf(flags.scheduleIn, '--schedule-in', 0, 'a delay cannot be negative')!;
  if (flags.scheduleAt !== undefined) options.at = parseScheduleAt(flags.scheduleAt);
  return options;
}

/** A duration given to `flag` in seconds, of at least `least`; `means` says what it takes. */
function durationOf(text: string | undefined, flag: string, least: number, means: string): number | undefined {
  if (text === undefined) return undefined;
  const seconds = checkFlag(flag, () => parseDuration(text, flag));
  if (seconds < least) throw new UsageError(`${flag} '${text}': ${means}.`);
  return seconds;
}

/**
 * The RateLimit that --rate-limit KEY:N (a concurrency) and --rate KEY:MAX/DURATION (a rate) ask
 * for, if any; given both, they name one key. @throws {UsageError}
 */
function rateLimitOf(slots: string | undefined, rate: string | undefined): RateLimit | undefined {
  if (slots === undefined && rate === undefined) return undefined;
  const slotsMatch = slots === undefined ? undefined : /^(.+):(\d+)$/.exec(slots);
  if (slots !== undefined && !slotsMatch) throw new UsageError(`--rate-limit '${slots}': use KEY:N, at most N jobs of KEY at once, e.g. reports:2.`);
  const rateMatch = rate === undefined ? undefined : /^(.+):(\d+)\/(\d+)(ms|s|m|h|d)?$/.exec(rate);
  if (rate !== undefined && !rateMatch) throw new UsageError(`--rate '${rate}': use KEY:MAX/DURATION, at most MAX jobs of KEY per DURATION (500ms, 1s, 1m, 1h, 1d; a bare number is seconds), e.g. mail:10/1s.`);
  const key = slotsMatch?.[1] ?? rateMatch![1]!;
  if (rateMatch && slotsMatch && rateMatch[1] !== slotsMatch[1]) throw new UsageError(`--rate-limit and --rate name two keys ('${slotsMatch[1]}', '${rateMatch[1]}'): a job has one rate limit key.`);
  const flag = rate !== undefined ? '--rate' : '--rate-limit';
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(rateMatch?.[4] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return checkFlag(flag, () =>
    new RateLimit(key, {
      ...(slotsMatch && { concurrency: Number(slotsMatch[2]) }),
      ...(rateMatch && { max: Number(rateMatch[2]), duration: Number(rateMatch[3]) * unit }),
    }),
  );
}

/** The retries --retry-max and --retry-interval ask for, if any. */
function retryOf(flags: EnqueueFlags): Retry | undefined {
  const retryMax = wholeNumber(flags.retryMax, '--retry-max');
  if (retryMax > 0) {
    const intervals = flags.retryInterval.length > 0 ? flags.retryInterval.map((text) => wholeNumber(text, '--retry-interval')) : [0];
    return new Retry({ max: retryMax, interval: intervals });
  }
  if (flags.retryInterval.length > 0) throw new UsageError('--retry-interval needs --retry-max above 0.');
  return undefined;
}

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

/** When an enqueued job runs, if not now: the end of the line `rq enqueue` prints. */
function whenRun(job: Job, options: EnqueueOptions): string {
  if (job.status === 'scheduled') return ` (scheduled${options.at ? ` at ${options.at.toISOString()}` : ''})`;
  if (job.status === 'rate_limited') return ` (waiting for rate limit '${job.rateLimitKey}')`;
  return job.status === 'deferred' ? ' (deferred until its dependencies finish)' : '';
}
