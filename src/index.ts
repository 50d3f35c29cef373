/**
 * rq-ts: RQ (Redis Queue) for TypeScript and Node.js, in RQ's own Redis layout.
 *
 * Glossary: a *queue* is a Redis list of job ids; a *job* is a Redis hash naming a function and
 * its arguments; a *registry* is a sorted set of job ids in one state (started, finished,
 * failed...); a *worker* takes jobs off queues and runs them.
 */

// Connections
export {
  withConnection,
  pushConnection,
  popConnection,
  getCurrentConnection,
  useConnection,
} from './connection.js';
export type { RedisConnection, ConnectionOptions, PushedConnection } from './connection.js';

// Failover and durable mode
export { onFailover } from './failover.js';
export type { FailoverInfo, FailoverListener } from './failover.js';
export { DEFAULT_DURABLE_TIMEOUT } from './durable.js';
export type { DurableOptions } from './durable.js';

// Settings
export { loadSettings, loadConfigFile, settingsFromEnv, durableFromSettings, asClusterSettings } from './settings.js';
export type { RQSettings, SentinelSettings, ClusterSettings, SettingsSource } from './settings.js';
export { redisOptionsFromSettings, redisOptionsFromUrl, describeConnection, maskUrl } from './redis-options.js';
export { clusterOptionsFromSettings } from './cluster-options.js';
export type { ClusterConnectionOptions } from './cluster-options.js';
export { connectionFromSettings } from './redis-client.js';
export type { PlainSettings, ClusterOnlySettings } from './redis-client.js';
export { openConnection, assertNotClusterNode } from './open-connection.js';
export type { OpenConnectionOptions } from './open-connection.js';

// Queues and jobs
export { Queue } from './queue.js';
export type { QueueOptions } from './queue.js';
export type { EnqueueOptions, EnqueueData, EnqueuedJobs } from './enqueue.js';
export { defineTask } from './task.js';
export { Retry } from './retry.js';
export { Repeat } from './repeat.js';
export { RateLimit, RateLimitRegistry, type RateLimitOptions, type RateLimitState } from './rate-limit.js';
export { collectMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
export { QueueEvents, QUEUE_EVENTS_TTL_MS, type QueueEventsMap, type QueueEventsOptions } from './queue-events.js';
export { Group } from './group.js';
export { CronScheduler } from './cron.js';
export type { CronSchedulerEvents, CronSchedulerOptions } from './cron.js';
export { CronJob } from './cron-job.js';
export type { CronJobOptions, CronSchedule, CronJobInfo } from './cron-job.js';
export type { CronSchedulerInfo } from './cron-presence.js';
export type { GroupOptions } from './group.js';
export { Dependency } from './dependency.js';
export { Callback, DEFAULT_CALLBACK_TIMEOUT } from './callback.js';
export type { CallbackRef } from './callback.js';
export type { DependencyOptions, DependencyRef, DependsOn } from './dependency.js';
export type { RetryOptions } from './retry.js';
export type { RepeatOptions } from './repeat.js';
export type { Task } from './task.js';
export { Job, validateJobId, cancelJob, requeueJob, deleteJob } from './job.js';
export { MAX_PROGRESS_BYTES, type Progress } from './progress.js';
export { callString } from './call-string.js';
export { getThroughput } from './throughput.js';
export type { ThroughputPoint } from './throughput.js';
export { TIME_BUCKETS, getJobStats, quantile } from './job-stats.js';
export type { FunctionStats, JobStatsEntry, TimeHistogram } from './job-stats.js';
export type { JobData, JobOptions, JobStatus, Kwargs, DeleteOptions, CallbackKind } from './job.js';
export { ResultType } from './results.js';
export type { JobResult, SuccessfulJobResult, UnsuccessfulJobResult } from './results.js';

// Registries
export {
  JobRegistry,
  StartedJobRegistry,
  FinishedJobRegistry,
  FailedJobRegistry,
  DeferredJobRegistry,
  ScheduledJobRegistry,
  CanceledJobRegistry,
} from './registries/index.js';
export type { RegistryOptions, QueueRef, JobRef, StartedCleanup, StartedCleanupOptions, RequeueAllResult, RequeueAllOptions } from './registries/index.js';

// Workers
export { Worker, getCurrentJob } from './worker/index.js';
export type { WorkerOptions, WorkOptions, WorkerEvents, DequeueStrategy, IsolationOptions, ExceptionHandler, Logger } from './worker/index.js';
export type { WorkerInfo, AllWorkersOptions } from './worker/info.js';
export { sendCommand, sendShutdownCommand, sendKillHorseCommand, sendStopJobCommand } from './commands.js';
export type { WorkerCommand } from './commands.js';
export { importFunction } from './functions.js';
export type { TaskFunction } from './functions.js';
export { parseDuration, parseJobTimeout } from './timeouts.js';
export type { Duration } from './timeouts.js';
export { JSONSerializer } from './serializers/index.js';
export type { Serializer } from './serializers/index.js';

// Suspension
export { suspend, resume, isSuspended } from './suspension.js';

// Version
export { VERSION } from './version.js';

// Utilities
export { Wakeable } from './wakeable.js';

// Errors
export {
  RQError,
  NoRedisConnectionError,
  ConnectionStackEmptyError,
  ConfigurationError,
  InvalidArgumentError,
  TimeoutFormatError,
  NoSuchJobError,
  NoSuchGroupError,
  DeserializationError,
  UnknownFunctionError,
  JobTimeoutError,
  InvalidJobOperationError,
  JobStoppedError,
  ShutDownImminentError,
  UnserializableResultError,
  InvalidJobDependencyError,
  DuplicateJobError,
  CrossSlotError,
  DuplicateCronSchedulerError,
  NoSuchCronSchedulerError,
  RedisOutOfMemoryError,
  RedisPermissionError,
  ReplicationTimeoutError,
  WorkHorseTerminatedError,
  RateLimitError,
  JobFailedError,
  WaitTimeoutError,
} from './errors.js';
