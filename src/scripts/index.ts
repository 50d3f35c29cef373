/**
 * The Lua scripts, one per atomic transition, registered on a connection with ioredis'
 * `defineCommand` (EVALSHA, falling back to EVAL after a SCRIPT FLUSH or a restart). Each `.lua`
 * file documents its KEYS, ARGV and reply; the build copies them next to this module.
 *
 * Script calls made in the same tick leave in one socket write: the first corks the socket and
 * the next tick uncorks it. Commands keep their order (it is one stream); what changes is the
 * number of write system calls, which on loopback cost more than a small script runs (measured:
 * 100 enqueues in flight, 37k -> 71k calls/s for a 30-argument call).
 */
import { readFileSync } from 'node:fs';
import type { RedisConnection } from '../connection.js';
import { createHash } from 'node:crypto';
import { toRQError } from '../redis-errors.js';

interface ScriptSpec {
  readonly file: string;
  /** Fixed number of KEYS, or null when the caller passes the count first. */
  readonly numberOfKeys: number | null;
  /** Library files whose functions the script calls; prepended to it. */
  readonly includes?: readonly string[];
}

const SCRIPTS = {
  cleanStartedRegistry: { file: 'clean-started-registry.lua', numberOfKeys: 5, includes: ['server-time.lib.lua', 'run-again.lib.lua', 'retry-job.lib.lua'] },
  cancelJob: { file: 'cancel-job.lua', numberOfKeys: 2, includes: ['server-time.lib.lua', 'remove-from-place.lib.lua', 'release-dependents.lib.lua'] },
  deleteJob: { file: 'delete-job.lua', numberOfKeys: 1, includes: ['remove-from-place.lib.lua'] },
  emptyQueue: { file: 'empty-queue.lua', numberOfKeys: 1 },
  enqueueDueJobs: { file: 'enqueue-due-jobs.lua', numberOfKeys: 4, includes: ['server-time.lib.lua'] },
  enqueueJob: { file: 'enqueue-job.lua', numberOfKeys: 7, includes: ['memory-guard.lib.lua'] },
  enqueueJobs: { file: 'enqueue-jobs.lua', numberOfKeys: 3, includes: ['server-time.lib.lua'] },
  enqueueCronJob: { file: 'enqueue-cron-job.lua', numberOfKeys: 3 },
  releaseLock: { file: 'release-lock.lua', numberOfKeys: 1 },
  removeExpiredEntries: { file: 'remove-expired-entries.lua', numberOfKeys: 1, includes: ['server-time.lib.lua'] },
  requeueJob: { file: 'requeue-job.lua', numberOfKeys: 3, includes: ['server-time.lib.lua'] },
  heartbeatJob: { file: 'heartbeat-job.lua', numberOfKeys: 3, includes: ['server-time.lib.lua'] },
  touchWorker: { file: 'touch-worker.lua', numberOfKeys: 1, includes: ['server-time.lib.lua'] },
  unstartJob: { file: 'unstart-job.lua', numberOfKeys: 4 },
  // Takes a variable number of queue keys: called with numberOfKeys as first argument.
  finishAndStartJobs: {
    file: 'finish-and-start-jobs.lua',
    numberOfKeys: null,
    includes: ['server-time.lib.lua', 'memory-guard.lib.lua', 'run-again.lib.lua', 'retry-job.lib.lua', 'repeat-job.lib.lua', 'release-dependents.lib.lua', 'sorted-set-batch.lib.lua', 'finish-job.lib.lua', 'start-jobs.lib.lua'],
  },
} as const satisfies Record<string, ScriptSpec>;

/** The name of a script registered by {@link scripts}. */
export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<ScriptName, string>();
/** The callable scripts of each connection, text replies and Buffer replies, made once. */
const bound = new WeakMap<RedisConnection, [Record<ScriptName, ScriptCall>, Record<ScriptName, ScriptCall>]>();

function source(name: ScriptName): string {
  let text = sources.get(name);
  if (text === undefined) {
    const spec: ScriptSpec = SCRIPTS[name];
    const read = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
    text = [...(spec.includes ?? []).map(read), read(spec.file)].join('\n');
    sources.set(name, text);
  }
  return text;
}

type ScriptCall = (keys: readonly string[], args: readonly (string | number | Buffer)[]) => Promise<unknown>;

/**
 * The scripts, callable on `connection`: `await scripts(redis).emptyQueue([key], [prefix])`.
 * Registers them on the connection the first time. With `binary`, replies come as Buffers
 * (for scripts that return job data, which is zlib bytes).
 */
export function scripts(connection: RedisConnection, binary = false): Record<ScriptName, ScriptCall> {
  let calls = bound.get(connection);
  if (!calls) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const { numberOfKeys } = SCRIPTS[name];
      connection.defineCommand(`rq_${name}`, { ...(numberOfKeys !== null && { numberOfKeys }), lua: source(name) });
    }
    calls = [bind(connection, false), bind(connection, true)];
    bound.set(connection, calls);
  }
  return calls[binary ? 1 : 0];
}

function bind(connection: RedisConnection, binary: boolean): Record<ScriptName, ScriptCall> {
  const commands = connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const calls = {} as Record<ScriptName, ScriptCall>;
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const counted = SCRIPTS[name].numberOfKeys === null;
    const command = commands[binary ? `rq_${name}Buffer` : `rq_${name}`]!;
    calls[name] = (keys, args) => {
      corkForThisTick(connection);
      // A full Redis or a missing permission becomes rq-ts' typed error; nothing leaves unscrubbed.
      return command.call(connection, ...(counted ? [keys.length] : []), ...keys, ...args).catch(rejectAsRQError);
    };
  }
  return calls;
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
  const name = (Object.keys(SCRIPTS) as ScriptName[]).find((candidate) => createHash('sha1').update(source(candidate)).digest('hex') === match[1]);
  if (name === undefined) return undefined;
  const line = source(name).split('\n')[Number(match[2]) - 1] ?? '';
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
  const stream = connection.stream as RedisConnection['stream'] | undefined;
  if (connection.status !== 'ready' || !stream || corked.has(stream) || typeof stream.cork !== 'function') return;
  corked.add(stream);
  stream.cork();
  process.nextTick(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
