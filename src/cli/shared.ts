/**
 * What every `rq` command shares: RQ's shared options (-u, -c, -P, -S) and their checks, usage
 * errors (exit 2), whole-number flags, the check that named queues exist, and colour only where
 * it helps (a terminal, no NO_COLOR). The connection the shared options describe is in
 * connection.ts, log lines in logging.ts, signals in signals.ts.
 */
import { Option, type Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { JSONSerializer, Queue, RQError, type RedisConnection, type Serializer } from '../index.js';

/** The shared options, as commander parses them. */
export interface SharedFlags {
  url?: string;
  config?: string;
  cluster?: boolean;
  path: string[];
  serializer?: string;
}

/**
 * The shared options, checked: what every command connects with (connection.ts takes nothing
 * else), so that none connects before it has refused a serializer rq-ts cannot speak.
 */
export interface SharedOptions {
  /** The options as given; -u and -P are checked when the settings are read (settingsOf), after the command's own options. */
  readonly flags: SharedFlags;
  /** The serializer -S names: the one a command reads and writes jobs with. */
  readonly serializer: Serializer;
}

/** Checks the shared options: -S here, -u and -P when the settings are read. @throws {UsageError} */
export function sharedOptionsOf(flags: SharedFlags): SharedOptions {
  return { flags, serializer: serializerOf(flags) };
}

/** A bad argument found after parsing: exit code 2, as commander's own usage errors. */
export class UsageError extends Error {}

/**
 * Runs a check of the library on the value of `flag`, and turns what it refuses into a usage
 * error that names the flag: `--job-id: Bad job id 'a:b': ...`.
 */
export function checkFlag<T>(flag: string, check: () => T): T {
  const refuse = (error: unknown) => (error instanceof RQError ? new UsageError(`${flag}: ${error.message}`) : error);
  try {
    const value = check();
    if (value instanceof Promise) return value.catch((error: unknown) => Promise.reject(refuse(error))) as T;
    return value;
  } catch (error) {
    throw refuse(error);
  }
}

/**
 * Adds RQ's shared options to a command: -u/--url, -c/--config, -P/--path, -S/--serializer; and
 * rq-ts' --cluster, which takes the Redis that -u (else the settings) names as a node of a Redis Cluster.
 */
export function withSharedOptions(command: Command): Command {
  return command
    .addOption(new Option('-u, --url <url>', 'Redis URL (redis://, rediss://, unix://)').env('RQ_REDIS_URL'))
    .addOption(new Option('-c, --config <module>', 'config file or module with RQ settings (REDIS_URL, SENTINEL, CLUSTER, QUEUES...)').env('RQ_CONFIG'))
    .option('--cluster', 'the Redis that -u (else the config file, else REDIS_URL or REDIS_HOST) names is a node of a Redis Cluster: use the whole cluster')
    .option('-P, --path <dir>', 'directory to import job functions and the config from (repeatable)', collect, [] as string[])
    .option('-S, --serializer <name>', 'how job data is encoded: json (rq.serializers.JSONSerializer), the only one rq-ts reads');
}

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * The -P directories, absolute; `.` when none.
 * @throws {UsageError} for a -P that is not a directory: a typo there would otherwise show up
 * only when a job's function is not found.
 */
export function pathsOf(flags: SharedFlags): string[] {
  for (const dir of flags.path) {
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`-P/--path '${dir}': there is no such directory.`);
  }
  return (flags.path.length > 0 ? flags.path : ['.']).map((dir) => resolve(dir));
}

/**
 * Output piped into a program that stops reading (`rq info | head -1`): stop writing instead of
 * failing with EPIPE, which would take a worker down mid-job.
 */
export function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}

/**
 * The serializer -S names. RQ's JSON serializer is the one rq-ts speaks; RQ's default (pickle)
 * cannot be read by anything but Python, and is refused with what to do instead.
 */
function serializerOf(flags: SharedFlags): Serializer {
  const name = flags.serializer;
  if (name === undefined || ['json', 'JSONSerializer', 'rq.serializers.JSONSerializer'].includes(name)) return JSONSerializer;
  if (['pickle', 'rq.serializers.DefaultSerializer', 'rq.serializers.PickleSerializer'].includes(name)) {
    throw new UsageError(`-S ${name}: rq-ts cannot read or write pickle, Python's own format. Use -S rq.serializers.JSONSerializer here and in Python (rq worker -S rq.serializers.JSONSerializer).`);
  }
  throw new UsageError(`-S ${name}: unknown serializer. rq-ts speaks RQ's JSON serializer: -S json or -S rq.serializers.JSONSerializer.`);
}

/** A whole number of at least `min` given to `flag`, else a usage error. */
export function wholeNumber(text: string | undefined, flag: string, min = 0): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min) {
    throw new UsageError(`${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${text}'.`);
  }
  return Number(text);
}

/** Colours for a stream: ANSI on a terminal, none when piped or when NO_COLOR is set (https://no-color.org). */
export interface Colors {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  bold(text: string): string;
}

export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Colors {
  const on = stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '') && env['TERM'] !== 'dumb';
  const paint = (code: number) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { green: paint(32), red: paint(31), yellow: paint(33), blue: paint(34), bold: paint(1) };
}


/** Queue names that exist (in rq:queues), else a failure naming those that do not; `outcome` ends its message. */
export async function requireQueues(connection: RedisConnection, names: readonly string[], outcome = ': nothing done'): Promise<void> {
  if (names.length === 0) return;
  const known = new Set((await Queue.all({ connection })).map((queue) => queue.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RQError(`No queue named ${unknown.map((name) => `'${name}'`).join(', ')} (not in rq:queues${known.size > 0 ? `; there are: ${[...known].join(', ')}` : ''})${outcome}.`);
  }
}
