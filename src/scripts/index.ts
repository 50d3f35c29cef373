/**
 * The Lua scripts, one per atomic transition, registered on a connection with ioredis'
 * `defineCommand` (EVALSHA, falling back to EVAL after a SCRIPT FLUSH or a restart). Each `.lua`
 * file documents its KEYS, ARGV and reply; the build copies them next to this module. Each script
 * is called through one typed function in the file of its name (`requeue-job.ts` for
 * `requeue-job.lua`): the operations layer; nothing else calls {@link runScript}. Every script
 * starts with the prelude (prelude.ts): keys, constants and failure codes written from TypeScript.
 *
 * Script calls made in the same tick leave in one socket write (but a worker's step and gathered
 * enqueues, written at once: see runScript's `alone`): the first corks the socket and the next
 * tick uncorks it. Commands keep their order (it is one stream); what changes is the number of
 * write system calls, which on loopback cost more than a small script runs (measured:
 * 100 enqueues in flight, 37k -> 71k calls/s for a 30-argument call).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isCluster, layoutOf, type RedisConnection } from '../connection.js';
import type { Layout } from '../keys.js';
import { toRQError } from '../redis-errors.js';
import { preludeFor } from './prelude.js';

interface ScriptSpec {
  readonly file: string;
  /** Library files whose functions the script calls; prepended to it. */
  readonly includes?: readonly string[];
}

const SCRIPTS = {
  cleanStartedRegistry: { file: 'clean-started-registry.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua', 'run-again.lib.lua', 'retry-job.lib.lua'] },
  cancelJob: { file: 'cancel-job.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua', 'remove-from-place.lib.lua', 'release-dependents.lib.lua'] },
  deleteJob: { file: 'delete-job.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua', 'remove-from-place.lib.lua'] },
  emptyQueue: { file: 'empty-queue.lua' },
  enqueueDueJobs: { file: 'enqueue-due-jobs.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua'] },
  enqueueJob: { file: 'enqueue-job.lua', includes: ['server-time.lib.lua', 'memory-guard.lib.lua', 'rate-limit.lib.lua'] },
  enqueueJobs: { file: 'enqueue-jobs.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua'] },
  enqueueCronJob: { file: 'enqueue-cron-job.lua' },
  releaseLock: { file: 'release-lock.lua' },
  rateLimit: { file: 'rate-limit.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua'] },
  releaseDependent: { file: 'release-dependent.lua', includes: ['server-time.lib.lua', 'memory-guard.lib.lua', 'rate-limit.lib.lua', 'release-dependents.lib.lua'] },
  removeExpiredEntries: { file: 'remove-expired-entries.lua', includes: ['server-time.lib.lua'] },
  requeueJob: { file: 'requeue-job.lua', includes: ['server-time.lib.lua', 'rate-limit.lib.lua'] },
  heartbeatJob: { file: 'heartbeat-job.lua', includes: ['server-time.lib.lua'] },
  touchWorker: { file: 'touch-worker.lua', includes: ['server-time.lib.lua'] },
  unstartJob: { file: 'unstart-job.lua' },
  finishAndStartJobs: {
    file: 'finish-and-start-jobs.lua',
    includes: ['server-time.lib.lua', 'memory-guard.lib.lua', 'rate-limit.lib.lua', 'run-again.lib.lua', 'retry-job.lib.lua', 'repeat-job.lib.lua', 'release-dependents.lib.lua', 'sorted-set-batch.lib.lua', 'finish-job.lib.lua', 'start-jobs.lib.lua'],
  },
} as const satisfies Record<string, ScriptSpec>;

/** The name of a script of this folder. */
export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<`${Layout}:${ScriptName}`, string>();

/** The text of script `name` for `layout`: its layout's prelude, its libraries, itself. */
function source(name: ScriptName, layout: Layout): string {
  let text = sources.get(`${layout}:${name}`);
  if (text === undefined) {
    const spec: ScriptSpec = SCRIPTS[name];
    const read = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
    text = [preludeFor(layout), ...(spec.includes ?? []).map(read), read(spec.file)].join('\n');
    sources.set(`${layout}:${name}`, text);
  }
  return text;
}

type ScriptCall = (...args: unknown[]) => Promise<unknown>;

/** The script commands of each connection, text and Buffer replies, defined once per connection. */
const bound = new WeakMap<RedisConnection, Record<string, ScriptCall>>();

/**
 * Runs script `name` on `connection` with `keys` and `args`, for the operation functions of this
 * folder. With `binary`, the reply comes as Buffers (for scripts that return job data, which is
 * zlib bytes). With `alone`, the call is written at once instead of with the tick's other calls:
 * for a worker's step, which never shares its tick with another script call, so that its bytes
 * leave before the rest of the tick's work, and for the enqueues gathered in a tick, which are
 * sent at its end (coalesced-enqueues.ts). Rejects with rq-ts' errors: {@link RedisOutOfMemoryError},
 * {@link RedisPermissionError}, or Redis' own, scrubbed.
 */
export function runScript(connection: RedisConnection, name: ScriptName, keys: readonly string[], args: readonly (string | number | Buffer)[], options: { binary?: boolean; alone?: boolean } = {}): Promise<unknown> {
  let commands = bound.get(connection);
  if (!commands) {
    // Defined without a number of keys: each call passes its count first, from the keys it gives.
    const layout = layoutOf(connection);
    for (const script of Object.keys(SCRIPTS) as ScriptName[]) connection.defineCommand(`rq_${script}`, { lua: source(script, layout) });
    commands = connection as unknown as Record<string, ScriptCall>;
    bound.set(connection, commands);
  }
  const command = commands[options.binary ? `rq_${name}Buffer` : `rq_${name}`]!;
  if (!options.alone) corkForThisTick(connection);
  // A full Redis or a missing permission becomes rq-ts' typed error; nothing leaves unscrubbed.
  return command.call(connection, keys.length, ...keys, ...args).catch(rejectAsRQError);
}

/** Rejects with rq-ts' error for `error`, naming the command of a script line Redis refused. */
function rejectAsRQError(error: unknown): never {
  throw toRQError(error, commandRefusedInScript(error));
}

/**
 * For an error Redis gave from inside one of these scripts ("... script: <sha>, on
 * @user_script:<line>."), which command that line calls and where: `"TIME" at
 * finish-and-start-jobs.lua's line 77`. Redis does not name the command an ACL refused there.
 */
function commandRefusedInScript(error: unknown): string | undefined {
  const match = /script: ([0-9a-f]{40}), on @user_script:(\d+)/.exec(error instanceof Error ? error.message : '');
  if (!match) return undefined;
  const layouts: Layout[] = ['plain', 'cluster'];
  const found = layouts
    .flatMap((layout) => (Object.keys(SCRIPTS) as ScriptName[]).map((name) => ({ name, text: source(name, layout) })))
    .find(({ text }) => createHash('sha1').update(text).digest('hex') === match[1]);
  if (found === undefined) return undefined;
  const { name } = found;
  const line = found.text.split('\n')[Number(match[2]) - 1] ?? '';
  const command = /redis\.call\(\s*'([A-Za-z]+)'/.exec(line)?.[1];
  return command === undefined ? `in ${SCRIPTS[name].file}` : `the command ${command.toUpperCase()}, which ${SCRIPTS[name].file} calls`;
}

/** Sockets corked until the next tick. */
const corked = new WeakSet<object>();

/**
 * Holds the connection's writes until the next tick, so that the commands of this tick go out in
 * one system call. Only on a ready connection (before that ioredis queues commands itself).
 */
function corkForThisTick(connection: RedisConnection): void {
  // A Cluster writes to many sockets, one per node, which it does not expose.
  if (isCluster(connection)) return;
  const stream = connection.stream as typeof connection.stream | undefined;
  if (connection.status !== 'ready' || !stream || corked.has(stream) || typeof stream.cork !== 'function') return;
  corked.add(stream);
  stream.cork();
  process.nextTick(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
