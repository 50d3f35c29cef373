/**
 * A worker's settings, resolved once: the constructor's options checked and defaulted into a
 * frozen {@link WorkerConfig}, which the worker and its parts read and never change. A bad option
 * throws here, before anything touches Redis.
 */
import { randomUUID } from 'node:crypto';
import { layoutOf, resolveConnection, type RedisConnection } from '../connection.js';
import { workerNameFor } from '../keys.js';
import {
  DEFAULT_DEQUEUE_TIMEOUT,
  DEFAULT_JOB_MONITORING_INTERVAL,
  DEFAULT_MAINTENANCE_INTERVAL,
  DEFAULT_RESULT_TTL,
  DEFAULT_WORKER_TTL,
  HEARTBEAT_GRACE,
} from '../defaults.js';
import { resolveDurability, type Durability } from '../durable.js';
import { InvalidArgumentError } from '../errors.js';
import type { TaskFunction } from '../functions.js';
import { Queue } from '../queue.js';
import { JSONSerializer, type Serializer } from '../serializers/index.js';
import type { Task } from '../task.js';
import type { IsolationOptions } from './isolated.js';
import { SILENT, type DequeueStrategy, type ExceptionHandler, type Logger, type WorkerOptions } from './options.js';

/** A worker's options, checked and with their defaults; seconds unless a name says otherwise. */
export interface WorkerConfig {
  /** The first slot's name (`rq:worker:<name>`). */
  readonly name: string;
  readonly connection: RedisConnection;
  /** Highest priority first. */
  readonly queueNames: readonly string[];
  readonly concurrency: number;
  /** The tasks given to the constructor, by name (more may be registered later). */
  readonly tasks: ReadonlyArray<readonly [string, TaskFunction]>;
  readonly paths: readonly string[];
  readonly serializer: Serializer;
  readonly defaultResultTtl: number;
  readonly workerTtl: number;
  readonly jobMonitoringInterval: number;
  readonly maintenanceInterval: number;
  readonly dequeueTimeout: number;
  readonly dequeueStrategy: DequeueStrategy;
  /** Times an abandoned job is put back on its queue before it fails (0 with `onAbandoned: 'fail'`). */
  readonly maxAbandonedRequeues: number;
  /** How the work horses find functions; undefined when jobs run in this process. */
  readonly isolation: IsolationOptions | undefined;
  /** The exception handlers given to the constructor (more may be pushed later). */
  readonly exceptionHandlers: readonly ExceptionHandler[];
  readonly disableDefaultExceptionHandler: boolean;
  readonly logger: Logger;
  readonly durability: Durability | undefined;
  /** Seconds a running job (and its busy worker key) lives without a heartbeat: whole, as EXPIRE takes them. */
  readonly heartbeatTtl: number;
}

const STRATEGIES: readonly DequeueStrategy[] = ['default', 'round_robin', 'random'];

/**
 * The config of a worker of `queues` (names or {@link Queue}s, whose connection and serializer
 * stand in for missing options).
 * @throws {NoRedisConnectionError} without a connection anywhere; {@link InvalidArgumentError} for
 * no queue or a bad option.
 */
export function resolveWorkerConfig(queues: ReadonlyArray<string | Queue> | string | Queue, options: WorkerOptions): WorkerConfig {
  const list = Array.isArray(queues) ? queues : [queues as string | Queue];
  if (list.length === 0) throw new InvalidArgumentError('A worker needs at least one queue.');
  const firstQueue = list.find((queue): queue is Queue => queue instanceof Queue);
  const queueNames = list.map((queue) => (queue instanceof Queue ? queue.name : queue));
  const given = options.name ?? randomUUID().replaceAll('-', '');
  const connection = resolveConnection(options.connection ?? firstQueue?.connection, `Worker '${given}'`);
  const name = workerNameFor(given, layoutOf(connection));
  const concurrency = positiveInteger(options.concurrency ?? 1, 'concurrency');
  const defaultResultTtl = resultTtl(options.defaultResultTtl ?? DEFAULT_RESULT_TTL);
  const workerTtl = positiveInteger(options.workerTtl ?? DEFAULT_WORKER_TTL, 'workerTtl');
  const jobMonitoringInterval = positiveNumber(options.jobMonitoringInterval ?? DEFAULT_JOB_MONITORING_INTERVAL, 'jobMonitoringInterval');
  const maintenanceInterval = positiveNumber(options.maintenanceInterval ?? DEFAULT_MAINTENANCE_INTERVAL, 'maintenanceInterval');
  const dequeueTimeout = positiveNumber(options.dequeueTimeout ?? DEFAULT_DEQUEUE_TIMEOUT, 'dequeueTimeout');
  const durability = resolveDurability(options.durable, `Worker '${name}'`);
  if (options.isolated && hasTasks(options)) {
    throw new InvalidArgumentError(
      'In isolated mode jobs run in child processes, which cannot receive functions: drop `tasks`, and give `paths` (modules looked up by name) or `isolated.modules` (modules that call defineTask).',
    );
  }
  const dequeueStrategy = options.dequeueStrategy ?? 'default';
  if (!STRATEGIES.includes(dequeueStrategy)) {
    throw new InvalidArgumentError(`Unknown dequeue strategy '${dequeueStrategy}': use default, round_robin or random.`);
  }
  return Object.freeze({
    name,
    connection,
    queueNames,
    concurrency,
    paths: options.paths ?? [],
    serializer: options.serializer ?? firstQueue?.serializer ?? JSONSerializer,
    defaultResultTtl,
    workerTtl,
    jobMonitoringInterval,
    maintenanceInterval,
    dequeueTimeout,
    dequeueStrategy,
    maxAbandonedRequeues: options.onAbandoned === 'fail' ? 0 : (options.maxAbandonedCount ?? 1),
    isolation: options.isolated ? (options.isolated === true ? {} : options.isolated) : undefined,
    exceptionHandlers: [...(options.exceptionHandlers ?? [])],
    disableDefaultExceptionHandler: options.disableDefaultExceptionHandler ?? false,
    logger: options.logger ?? SILENT,
    durability,
    heartbeatTtl: Math.ceil(jobMonitoringInterval) + HEARTBEAT_GRACE,
    tasks: taskEntries(options),
  });
}

function hasTasks(options: WorkerOptions): boolean {
  return Array.isArray(options.tasks) ? options.tasks.length > 0 : Object.keys(options.tasks ?? {}).length > 0;
}

/** The `tasks` option as name and function pairs, from either of its forms. */
function taskEntries(options: WorkerOptions): Array<readonly [string, TaskFunction]> {
  const tasks = options.tasks ?? {};
  if (Array.isArray(tasks)) return tasks.map((task: Task<any[], unknown>) => [task.name, task.fn] as const);
  return Object.entries(tasks as Record<string, TaskFunction>);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got ${value}.`);
  return value;
}

function resultTtl(value: number): number {
  if (!Number.isInteger(value) || value < -1) throw new InvalidArgumentError(`defaultResultTtl must be whole seconds, -1 (forever) or more, got ${value}.`);
  return value;
}

function positiveNumber(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${value}.`);
  return value;
}
