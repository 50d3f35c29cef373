/**
 * How `rq` commands log, as RQ's: the logging options (-l/--logging-level, -v, -q, --log-format,
 * --date-format), Python's %-style formats and strftime dates, info and debug lines on stdout,
 * warnings and errors on stderr.
 */
import { Option, type Command } from 'commander';
import { UsageError } from './shared.js';

/** RQ's logging options: -l/--logging-level (and RQ 1.13's --logging_level), -v, -q, --log-format, --date-format. */
export function withLoggingOptions(command: Command): Command {
  return command
    .option('-l, --logging-level <level>', 'DEBUG, INFO, WARNING, ERROR or CRITICAL', 'INFO')
    .addOption(new Option('--logging_level <level>', 'RQ 1.13 spelling of --logging-level').hideHelp())
    .option('-v, --verbose', 'show debug lines (--logging-level DEBUG)')
    .option('-q, --quiet', 'print warnings and errors only (--logging-level WARNING)')
    .option('--log-format <format>', 'Python %-style: %(asctime)s %(message)s %(levelname)s %(name)s %(process)d', '%(asctime)s %(message)s')
    .option('--date-format <format>', 'strftime directives for %(asctime)s', '%H:%M:%S');
}

/** The logging options, as commander parses them. */
export interface LoggingFlags {
  loggingLevel?: string;
  logging_level?: string;
  verbose?: boolean;
  quiet?: boolean;
  logFormat?: string;
  dateFormat?: string;
}

/** The logger the logging options describe; -v and -q win over the level, as in RQ. */
export function loggerOf(flags: LoggingFlags, name: string): CliLogger {
  if (flags.verbose && flags.quiet) throw new UsageError('-v/--verbose and -q/--quiet cannot be used together.');
  const level = flags.verbose ? 'DEBUG' : flags.quiet ? 'WARNING' : (flags.logging_level ?? flags.loggingLevel);
  return makeLogger({ level, format: flags.logFormat, dateFormat: flags.dateFormat }, name);
}

/** The logging options as arguments again, for the workers of a pool. */
export function loggingArgs(flags: LoggingFlags): string[] {
  return [
    ...(flags.verbose ? ['--verbose'] : []),
    ...(flags.quiet ? ['--quiet'] : []),
    ...(flags.logging_level ?? flags.loggingLevel ? ['--logging-level', (flags.logging_level ?? flags.loggingLevel)!] : []),
    ...(flags.logFormat !== undefined ? ['--log-format', flags.logFormat] : []),
    ...(flags.dateFormat !== undefined ? ['--date-format', flags.dateFormat] : []),
  ];
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
