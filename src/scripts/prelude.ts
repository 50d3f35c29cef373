/**
 * The Lua prelude every script starts with, written from the TypeScript that owns each thing: the
 * key builders of keys.ts (`job_key(id)`, `dependents_key(id)`...), the constants of defaults.ts,
 * the failure codes of errors.ts and the fields of a step's ending (ending.ts). A key shape, a
 * constant or a code is so written once, in TypeScript, and a script never spells one itself
 * (test/lua.test.ts fails on a key literal in a .lua file).
 *
 * The builders are read off keys.ts by calling each with placeholders and cutting its answer
 * around them, so that `dependenciesKey` gives `'rq:job::' .. id .. ':dependencies'`.
 */
import { RESULTS_STREAM_MAXLEN, THROUGHPUT_TTL } from '../defaults.js';
import { ENDING_FIELDS } from '../ending.js';
import { SCRIPT_FAILURES } from '../errors.js';
import {
  canceledRegistryKey,
  deferredRegistryKey,
  dependenciesKey,
  dependentsKey,
  failedRegistryKey,
  finishedRegistryKey,
  groupKey,
  jobKey,
  QUEUE_KEY_PREFIX,
  queueKey,
  resultsKey,
  scheduledRegistryKey,
  startedRegistryKey,
  throughputKey,
  workerKey,
} from '../keys.js';

/** The key builders scripts use, by their Lua name, with the names of their parameters. */
const BUILDERS: ReadonlyArray<readonly [lua: string, build: (...parts: string[]) => string, params: readonly string[]]> = [
  ['job_key', jobKey, ['id']],
  ['dependents_key', dependentsKey, ['id']],
  ['dependencies_key', dependenciesKey, ['id']],
  ['results_key', resultsKey, ['id']],
  ['queue_key', queueKey, ['name']],
  ['started_registry_key', startedRegistryKey, ['queue']],
  ['finished_registry_key', finishedRegistryKey, ['queue']],
  ['failed_registry_key', failedRegistryKey, ['queue']],
  ['deferred_registry_key', deferredRegistryKey, ['queue']],
  ['scheduled_registry_key', scheduledRegistryKey, ['queue']],
  ['canceled_registry_key', canceledRegistryKey, ['queue']],
  ['worker_key', workerKey, ['name']],
  ['group_key', groupKey, ['name']],
  ['throughput_key', (queue: string, hour: string) => throughputKey(queue, hour as unknown as number), ['queue', 'hour']],
];

/** A Lua string literal of `text`. */
function luaString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `local function name(a, b) return 'prefix' .. a .. 'middle' .. b end`, read off `build`. */
function luaBuilder(lua: string, build: (...parts: string[]) => string, params: readonly string[]): string {
  const marks = params.map((_, index) => `\u0000${index}\u0000`);
  const pieces = build(...marks).split(/\u0000(\d+)\u0000/);
  const body = pieces.map((piece, index) => (index % 2 === 0 ? luaString(piece) : params[Number(piece)]!)).filter((part) => part !== "''");
  return `local function ${lua}(${params.join(', ')}) return ${body.join(' .. ')} end`;
}

/** A Lua table constructor of `entries`, numbers as they are. */
function luaTable(entries: Record<string, number>): string {
  return `{ ${Object.entries(entries).map(([name, value]) => `${name} = ${value}`).join(', ')} }`;
}

/** The prelude's Lua text. */
export const PRELUDE = [
  '-- Written by scripts/prelude.ts from keys.ts, defaults.ts, errors.ts and ending.ts.',
  ...BUILDERS.map(([lua, build, params]) => luaBuilder(lua, build, params)),
  `local function queue_name(key) return string.sub(key, ${QUEUE_KEY_PREFIX.length + 1}) end`,
  'local REGISTRY_OF_STATUS = { started = started_registry_key, finished = finished_registry_key, failed = failed_registry_key, stopped = failed_registry_key, deferred = deferred_registry_key, scheduled = scheduled_registry_key, canceled = canceled_registry_key }',
  `local RESULTS_STREAM_MAXLEN = ${RESULTS_STREAM_MAXLEN}`,
  `local THROUGHPUT_TTL = ${THROUGHPUT_TTL}`,
  `local FAILURE = ${luaTable(SCRIPT_FAILURES)}`,
  `local ENDING = ${luaTable(Object.fromEntries(ENDING_FIELDS.map((field, index) => [field, index + 1])))}`,
  '',
].join('\n');
