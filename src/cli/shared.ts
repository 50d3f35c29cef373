/**
 * What every `rq` command shares: RQ's shared options, the connection they describe, usage
 * errors (exit 2), colour only where it helps (a terminal, no NO_COLOR), and log lines.
 */
import { Option, type Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { JSONSerializer, RQError, loadSettings, onFailover, openConnection, redisOptionsFromUrl, type RQSettings, type RedisConnection, type Serializer } from '../index.js';

/** The shared options, as commander parses them. */
export interface SharedFlags {
  url?: string;
  config?: string;
  path: string[];
  serializer?: string;
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

/** The settings the shared options describe (--url, else --config, else the REDIS_* environment). */
export function settingsOf(flags: SharedFlags): Promise<RQSettings> {
  // An empty RQ_REDIS_URL is no URL, as loadSettings reads it.
  if (flags.url) checkFlag('-u/--url', () => redisOptionsFromUrl(flags.url!));
  return loadSettings({ url: flags.url, config: flags.config, paths: pathsOf(flags) });
}

/** Connections opened by {@link connect} and not closed yet: {@link closeAll} closes them. */
const open = new Set<RedisConnection>();

/**
 * Opens the connection the shared options describe. While Redis is unreachable later on, says so
 * in one line on stderr (not a stack trace at each reconnection attempt), and once more when back;
 * and when it comes back at another server (a failover), says that too, unless
 * `reportFailover` is false (`rq worker`, whose Worker logs it).
 */
export async function connect(flags: SharedFlags, options: { reportFailover?: boolean } = {}): Promise<RedisConnection> {
  const connection = await openConnection(await settingsOf(flags));
  open.add(connection);
  let down = false;
  connection.on('error', (error: Error) => {
    if (!down) process.stderr.write(`Redis connection lost, reconnecting: ${error.message}\n`);
    down = true;
  });
  connection.on('ready', () => {
    if (down) process.stderr.write('Redis connection back\n');
    down = false;
  });
  if (options.reportFailover ?? true) {
    onFailover(connection, ({ previous, current }) => {
      process.stderr.write(`Redis primary changed from ${previous} to ${current}: writes ${previous} acknowledged just before the switch may be lost (replication is asynchronous)\n`);
    });
  }
  return connection;
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
export function serializerOf(flags: SharedFlags): Serializer {
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

/** Closes a connection whatever its state: QUIT when it is up, else drop it. */
export async function closeConnection(connection: RedisConnection): Promise<void> {
  open.delete(connection);
  if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
}

/** Closes every connection {@link connect} opened that is still open: after a command, whatever became of it. */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((connection) => closeConnection(connection)));
}

/** Python's logging levels, which RQ's --logging-level takes. */
const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, WARN: 30, ERROR: 40, CRITICAL: 50 } as const;
type LevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** How a command logs: RQ's --logging-level, --log-format and --date-format. */
export interface LogSettings {
  /** Python level name or number. @default "INFO" */
  level?: string | undefined;
  /** Python %-style: %(asctime)s %(message)s %(levelname)s %(name)s %(process)d %(msecs)d. @default "%(asctime)s %(message)s" */
  format?: string | undefined;
  /** strftime: %Y %y %m %d %H %I %M %S %f %p %a %A %b %B %j %z %%. @default "%H:%M:%S" */
  dateFormat?: string | undefined;
}

/** A logger in RQ's formats: info and debug to stdout, warnings and errors to stderr. */
export interface CliLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Whether a message of this level is printed. */
  enabled(level: LevelName): boolean;
}

const RECORD_FIELDS = new Set(['asctime', 'message', 'levelname', 'name', 'process', 'msecs']);
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Checks the log settings and returns a logger, as RQ's setup_loghandlers does.
 * @throws {UsageError} for an unknown level, placeholder or date directive.
 */
export function makeLogger(settings: LogSettings, name = 'rq.worker'): CliLogger {
  const levelText = (settings.level ?? 'INFO').toUpperCase();
  const threshold = /^\d+$/.test(levelText) ? Number(levelText) : (LEVELS as Record<string, number>)[levelText];
  if (threshold === undefined) throw new UsageError(`--logging-level '${settings.level}': use DEBUG, INFO, WARNING, ERROR or CRITICAL.`);
  const format = settings.format ?? '%(asctime)s %(message)s';
  const render = compileLogFormat(format);
  const dateFormat = settings.dateFormat ?? '%H:%M:%S';
  strftime(new Date(), dateFormat); // checks the directives now
  const write = (level: LevelName, message: string) => {
    if (LEVELS[level] < threshold) return;
    const now = new Date();
    const line = render({
      asctime: strftime(now, dateFormat),
      message,
      levelname: level,
      name,
      process: process.pid,
      msecs: now.getMilliseconds(),
    });
    (LEVELS[level] >= LEVELS.WARNING ? process.stderr : process.stdout).write(`${line}\n`);
  };
  return {
    debug: (message) => write('DEBUG', message),
    info: (message) => write('INFO', message),
    warn: (message) => write('WARNING', message),
    error: (message) => write('ERROR', message),
    enabled: (level) => LEVELS[level] >= threshold,
  };
}

/** The fields a log line can show, by name. */
type LogRecord = Record<'asctime' | 'message' | 'levelname' | 'name' | 'process' | 'msecs', string | number>;

/**
 * Python's %-style log format: `%(field)[flags][width][.precision]type` (flags `-0+ #`, types
 * `s`, `d`, `i`, `f`, `r`) and `%%`, compiled once.
 * @throws {UsageError} for an unknown field or a `%` that starts nothing.
 */
function compileLogFormat(format: string): (record: LogRecord) => string {
  const parts: (string | ((record: LogRecord) => string))[] = [];
  const pattern = /%%|%\((\w+)\)([-0+ #]*)(\d*)(?:\.(\d+))?([sdifr])|%/g;
  let last = 0;
  for (const match of format.matchAll(pattern)) {
    parts.push(format.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[0] === '%%') {
      parts.push('%');
      continue;
    }
    const [, field, flags = '', width = '', precision, type] = match;
    if (field === undefined) throw new UsageError(`--log-format: a '%' at ${match.index} starts no field; write %% for a literal %, and fields as %(message)s.`);
    if (!RECORD_FIELDS.has(field)) throw new UsageError(`--log-format: %(${field}) is not known here; use ${[...RECORD_FIELDS].map((known) => `%(${known})s`).join(', ')}.`);
    parts.push((record) => {
      const value = record[field as keyof LogRecord];
      let text: string;
      if (type === 'd' || type === 'i') text = String(Math.trunc(Number(value)));
      else if (type === 'f') text = Number(value).toFixed(precision === undefined ? 6 : Number(precision));
      else text = type === 'r' ? `'${String(value)}'` : String(value);
      if ((type === 's' || type === 'r') && precision !== undefined) text = text.slice(0, Number(precision));
      const size = width === '' ? 0 : Number(width);
      if (flags.includes('-')) return text.padEnd(size);
      return flags.includes('0') && type !== 's' && type !== 'r' ? text.padStart(size, '0') : text.padStart(size);
    });
  }
  parts.push(format.slice(last));
  return (record) => parts.map((part) => (typeof part === 'string' ? part : part(record))).join('');
}

/** Python's strftime for the directives RQ users put in --date-format, in local time. */
export function strftime(date: Date, format: string): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  return format.replace(/%(.)/g, (_, directive: string) => {
    switch (directive) {
      case 'Y': return String(date.getFullYear());
      case 'y': return pad(date.getFullYear() % 100);
      case 'm': return pad(date.getMonth() + 1);
      case 'd': return pad(date.getDate());
      case 'H': return pad(date.getHours());
      case 'I': return pad(date.getHours() % 12 || 12);
      case 'M': return pad(date.getMinutes());
      case 'S': return pad(date.getSeconds());
      case 'f': return pad(date.getMilliseconds() * 1000, 6);
      case 'p': return date.getHours() < 12 ? 'AM' : 'PM';
      case 'a': return DAYS[date.getDay()]!.slice(0, 3);
      case 'A': return DAYS[date.getDay()]!;
      case 'b': return MONTHS[date.getMonth()]!.slice(0, 3);
      case 'B': return MONTHS[date.getMonth()]!;
      case 'j': return pad(Math.floor((date.getTime() - new Date(date.getFullYear(), 0, 1).getTime()) / 86_400_000) + 1, 3);
      case 'z': return `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
      case '%': return '%';
      default: throw new UsageError(`--date-format: %${directive} is not known here; use %Y %y %m %d %H %I %M %S %f %p %a %A %b %B %j %z or %%.`);
    }
  });
}
