/**
 * The work horse of the isolated mode: a child process that runs jobs for its parent worker, one
 * at a time, and is reused for job after job. The parent kills it when a job times out or is
 * stopped, and replaces it when it dies; a job that crashes it fails alone.
 *
 * Protocol (IPC, advanced serialization), parent to child: `init` (paths, modules to import,
 * Redis options for `getCurrentJob().connection`), then `run` messages; child to parent: `ready`,
 * then one `result` per `run`.
 */
import { pathToFileURL } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';
import { asRateLimitError, toError } from '../errors.js';
import { importFunction } from '../functions.js';
import { Job } from '../job.js';
import { definedTask } from '../task.js';
import { execute, Interruption } from '../execute.js';

/** The first message of the parent. */
export interface InitMessage {
  type: 'init';
  paths: string[];
  modules: string[];
  redis: RedisOptions;
}

/** A job to run. */
export interface RunMessage {
  type: 'run';
  id: string;
  hash: Record<string, Uint8Array>;
}

/** What became of a run. */
export type ResultMessage =
  | { type: 'result'; ok: true; value: unknown }
  | { type: 'result'; ok: false; error: { name: string; message: string; stack?: string | undefined; holdFor?: number | undefined } };

let init: InitMessage | undefined;
let connection: Redis | undefined;

async function run(message: RunMessage): Promise<ResultMessage> {
  try {
    connection ??= new Redis({ ...init!.redis, lazyConnect: true });
    const hash = Object.fromEntries(Object.entries(message.hash).map(([field, value]) => [field, Buffer.from(value)]));
    const job = Job.fromHash(message.id, hash, connection);
    const fn = definedTask(job.funcName) ?? (await importFunction(job.funcName, init!.paths));
    return { type: 'result', ok: true, value: await execute(fn, job, new Interruption(), -1) };
  } catch (thrown) {
    const error = toError(thrown);
    return { type: 'result', ok: false, error: { name: error.name, message: error.message, stack: error.stack, holdFor: asRateLimitError(error)?.holdFor } };
  }
}

process.on('message', (message: InitMessage | RunMessage) => {
  void (async () => {
    if (message.type === 'init') {
      init = message;
      for (const module of message.modules) await import(pathToFileURL(module).href);
      process.send!({ type: 'ready' });
    } else {
      process.send!(await run(message));
    }
  })();
});

// The parent going away ends the child: a horse never outlives its worker.
process.on('disconnect', () => process.exit(0));
