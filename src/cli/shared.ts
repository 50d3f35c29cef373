/**
 * What every `rq` command shares: RQ's shared options, the connection they describe, usage
 * errors (exit 2), colour only where it helps (a terminal, no NO_COLOR), and log lines.
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { JSONSerializer, loadSettings, openConnection, type RQSettings, type RedisConnection, type Serializer } from '../index.js';

/** The shared options, as commander parses them. */
export interface SharedFlags {
  url?: string;
  config?: string;
  path: string[];
  serializer?: string;
}

/** A bad argument found after parsing: exit code 2, as commander's own usage errors. */
export class UsageError extends Error {}

/** Adds RQ's shared options to a command: -u/--url, -c/--config, -P/--path, -S/--serializer. */
export function withSharedOptions(command: Command): Command {
  return command
    .addOption(new Option('-u, --url <url>', 'Redis URL (redis://, rediss://, unix://)').env('RQ_REDIS_URL'))
    .addOption(new Option('-c, --config <module>', 'config file or module with RQ settings (REDIS_URL, SENTINEL, QUEUES...)').env('RQ_CONFIG'))
    .option('-P, --path <dir>', 'directory to import job functions and the config from (repeatable)', collect, [] as string[])
    .option('-S, --serializer <name>', 'how job data is encoded: json (rq.serializers.JSONSerializer), the only one rq-ts reads');
}

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The -P directories, absolute; `.` when none. */
export function pathsOf(flags: SharedFlags): string[] {
  return (flags.path.length > 0 ? flags.path : ['.']).map((dir) => resolve(dir));
}

/** The settings the shared options describe (--url, else --config, else the REDIS_* environment). */
export function settingsOf(flags: SharedFlags): Promise<RQSettings> {
  return loadSettings({ url: flags.url, config: flags.config, paths: pathsOf(flags) });
}

/** Opens the connection the shared options describe. */
export async function connect(flags: SharedFlags): Promise<RedisConnection> {
  return openConnection(await settingsOf(flags));
}

/**
 * The serializer -S names. RQ's JSON serializer is the one rq-ts speaks; RQ's default (pickle)
 * cannot be read by anything but Python, and is refused with what to do instead.
 */
export function serializerOf(flags: SharedFlags): Serializer {
  const name = flags.serializer;
  if (name === undefined || ['json', 'JSONSerializer', 'rq.serializers.JSONSerializer'].includes(name)) return JSONSerializer;
  if (['pickle', 'rq.serializers.DefaultSerializer', 'rq.serializers.PickleSerializer'].includes(name)) {
    throw new UsageError(`-S ${name}: rq-ts cannot read or write pickle, Python's own format. Use -S rq.serializers.JSONSerializer here and in Python (rq worker -S rq.serializers.JSONSerializer).`);
  }
  throw new UsageError(`-S ${name}: unknown serializer. rq-ts speaks RQ's JSON serializer: -S json or -S rq.serializers.JSONSerializer.`);
}

/** A whole number given to `flag`, else a usage error. */
export function wholeNumber(text: string | undefined, flag: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, got '${text}'.`);
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

/** Closes a connection whatever its state: QUIT when it is up, else drop it. */
export async function closeConnection(connection: RedisConnection): Promise<void> {
  if (connection.status === 'ready') await connection.quit();
  else connection.disconnect();
}
