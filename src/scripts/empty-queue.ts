/** Emptying a queue (empty-queue.lua), as RQ's Queue.empty(). */
import { layoutOf, type RedisConnection } from '../connection.js';
import { queueKey } from '../keys.js';
import { runScript } from './index.js';

/** Pops every job id of queue `name`, deleting each job's hash and dependents set; resolves to how many. */
export async function emptyQueue(connection: RedisConnection, name: string): Promise<number> {
  return (await runScript(connection, 'emptyQueue', [queueKey(name, layoutOf(connection))], [])) as number;
}
