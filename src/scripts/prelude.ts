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
import { QUEUE_EVENTS_MAXLEN, RESULTS_STREAM_MAXLEN, THROUGHPUT_TTL } from '../defaults.js';
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
  queueEventsKey,
  workerKey,
  RATE_LIMIT_DUE,
  RATE_LIMIT_KEYS,
  rateLimitAllowedKey,
  rateLimitKey,
  rateLimitWaitingKey,
  rateLimitWindowKey,
  type Layout,
} from '../keys.js';

/** The key builders scripts use, by their Lua name, with the names of their parameters. */
const BUILDERS: ReadonlyArray<readonly [lua: string, build: (layout: Layout, ...parts: string[]) => string, params: readonly string[]]> = [
  ['job_key', (_, id) => jobKey(id), ['id']],
  ['dependents_key', (_, id) => dependentsKey(id), ['id']],
  ['dependencies_key', (_, id) => dependenciesKey(id), ['id']],
  ['results_key', (_, id) => resultsKey(id), ['id']],
  ['queue_key', (layout, name) => queueKey(name, layout), ['name']],
  ['started_registry_key', (layout, queue) => startedRegistryKey(queue, layout), ['queue']],
  ['finished_registry_key', (layout, queue) => finishedRegistryKey(queue, layout), ['queue']],
  ['failed_registry_key', (layout, queue) => failedRegistryKey(queue, layout), ['queue']],
  ['deferred_registry_key', (layout, queue) => deferredRegistryKey(queue, layout), ['queue']],
  ['scheduled_registry_key', (layout, queue) => scheduledRegistryKey(queue, layout), ['queue']],
  ['canceled_registry_key', (layout, queue) => canceledRegistryKey(queue, layout), ['queue']],
  ['worker_key', (_, name) => workerKey(name), ['name']],
  ['group_key', (_, name) => groupKey(name), ['name']],
  ['throughput_key', (layout, queue, hour) => throughputKey(queue, hour as unknown as number, layout), ['queue', 'hour']],
  ['queue_events_key', (layout, queue) => queueEventsKey(queue, layout), ['queue']],
  ['rate_limit_key', (_, key) => rateLimitKey(key), ['key']],
  ['rate_limit_allowed_key', (_, key) => rateLimitAllowedKey(key), ['key']],
  ['rate_limit_waiting_key', (_, key) => rateLimitWaitingKey(key), ['key']],
  ['rate_limit_window_key', (_, key) => rateLimitWindowKey(key), ['key']],
];

/** A Lua string literal of `text`. */
function luaString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `local function name(a, b) return 'prefix' .. a .. 'middle' .. b end`, read off `build`. */
function luaBuilder(layout: Layout, lua: string, build: (layout: Layout, ...parts: string[]) => string, params: readonly string[]): string {
  const marks = params.map((_, index) => `\u0000${index}\u0000`);
  const pieces = build(layout, ...marks).split(/\u0000(\d+)\u0000/);
  const body = pieces.map((piece, index) => (index % 2 === 0 ? luaString(piece) : params[Number(piece)]!)).filter((part) => part !== "''");
  return `local function ${lua}(${params.join(', ')}) return ${body.join(' .. ')} end`;
}

/** A Lua table constructor of `entries`, numbers as they are. */
function luaTable(entries: Record<string, number>): string {
  return `{ ${Object.entries(entries).map(([name, value]) => `${name} = ${value}`).join(', ')} }`;
}

/**
 * The prelude's Lua text for `layout`. On a cluster, `CLUSTER` is true: a script then leaves alone
 * the keys that span queues (`rq:queues`, worker hashes, group sets), which its caller writes
 * outside it, and its KEYS hold the slot's memory guard in their place (see keys.ts'
 * memoryGuardKey).
 */
export function preludeFor(layout: Layout): string {
  const queueName =
    layout === 'cluster'
      ? `local function queue_name(key) return string.sub(key, ${QUEUE_KEY_PREFIX.length + 2}, -2) end`
      : `local function queue_name(key) return string.sub(key, ${QUEUE_KEY_PREFIX.length + 1}) end`;
  return [
    '-- Written by scripts/prelude.ts from keys.ts, defaults.ts, errors.ts and ending.ts.',
    `local CLUSTER = ${layout === 'cluster'}`,
    ...BUILDERS.map(([lua, build, params]) => luaBuilder(layout, lua, build, params)),
    queueName,
    '-- Adds a queue to rq:queues; on a cluster its caller does, outside the script.',
    "local function add_queue(queues, queue) if not CLUSTER then redis.call('SADD', queues, queue) end end",
    '-- Whether job ids a and b are in one slot: always on a plain Redis; on a cluster when their tags (keys.ts) agree.',
    "local function same_slot(a, b) return not CLUSTER or (string.match(a, '^{[^{}]+}') or '') == (string.match(b, '^{[^{}]+}') or '') end",
    'local REGISTRY_OF_STATUS = { started = started_registry_key, finished = finished_registry_key, failed = failed_registry_key, stopped = failed_registry_key, deferred = deferred_registry_key, scheduled = scheduled_registry_key, canceled = canceled_registry_key }',
    `local RESULTS_STREAM_MAXLEN = ${RESULTS_STREAM_MAXLEN}`,
    `local RATE_LIMIT_KEYS = ${luaString(RATE_LIMIT_KEYS)}`,
    `local RATE_LIMIT_DUE = ${luaString(RATE_LIMIT_DUE)}`,
    `local THROUGHPUT_TTL = ${THROUGHPUT_TTL}`,
    `local QUEUE_EVENTS_MAXLEN = ${QUEUE_EVENTS_MAXLEN}`,
    `local FAILURE = ${luaTable(SCRIPT_FAILURES)}`,
    `local ENDING = ${luaTable(Object.fromEntries(ENDING_FIELDS.map((field, index) => [field, index + 1])))}`,
    '',
  ].join('\n');
}
