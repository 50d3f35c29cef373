/**
 * Named defaults, each with its unit. The values are RQ 1.13's (rq/defaults.py) unless a comment
 * says otherwise, so that a mixed Python and Node deployment behaves the same on both sides.
 */

/** Default job timeout, in seconds (RQ's `Queue.DEFAULT_TIMEOUT`). */
export const DEFAULT_JOB_TIMEOUT = 180;

/** How long a finished job and its result are kept, in seconds (RQ's `DEFAULT_RESULT_TTL`). */
export const DEFAULT_RESULT_TTL = 500;

/** How long a failed job is kept, in seconds: one year (RQ's `DEFAULT_FAILURE_TTL`). */
export const DEFAULT_FAILURE_TTL = 31_536_000;

/** Worker key TTL, in seconds, refreshed by every heartbeat (RQ's `DEFAULT_WORKER_TTL`). */
export const DEFAULT_WORKER_TTL = 420;

/** How often a running job's heartbeat is written, in seconds (RQ's `--job-monitoring-interval`). */
export const DEFAULT_JOB_MONITORING_INTERVAL = 30;

/**
 * Grace added to a heartbeat interval to form a TTL, in seconds. RQ keeps a running job's
 * started-registry score at `now + interval + 60`, and the worker key at `worker_ttl + 60`.
 */
export const HEARTBEAT_GRACE = 60;

/** Seconds between a worker's registry cleanups of its queues (RQ's `--maintenance-interval`). */
export const DEFAULT_MAINTENANCE_INTERVAL = 600;

/** TTL of a dead worker's key, in seconds, so that `rq info` shows it briefly (RQ: 60). */
export const DEAD_WORKER_TTL = 60;

/** Number of entries kept in a job's results stream (`XADD ... MAXLEN ~ 10`). */
export const RESULTS_STREAM_MAXLEN = 10;

/** How long a queue's throughput counts of an hour are kept, in seconds: 25 hours, so that the last 24 are whole. */
export const THROUGHPUT_TTL = 90_000;

/** How long a queue's job statistics (job-stats.ts) are kept after their last write, in seconds: 7 days. */
export const JOB_STATS_TTL = 604_800;

/** How often a worker writes the job statistics it gathered, in ms (and when it stops). */
export const JOB_STATS_FLUSH_MS = 5000;

/** Entries a queue's events stream keeps, about (XADD MAXLEN ~): the window a listener may fall behind by. */
export const QUEUE_EVENTS_MAXLEN = 10_000;

/** The largest concurrency or `max` a RateLimit takes (2^31-1): a bigger one is a mistake, not a limit. */
export const MAX_RATE_LIMIT_COUNT = 2_147_483_647;

/** The longest window of a rate over time, in milliseconds (366 days): a longer one would hold its jobs for ever in effect. */
export const MAX_RATE_LIMIT_DURATION_MS = 31_622_400_000;

/** The queue used when none is named. */
export const DEFAULT_QUEUE_NAME = 'default';

/**
 * Longest a blocking dequeue waits before looping, in seconds. Finite on purpose: a dead socket
 * is then noticed within this bound instead of leaving a worker blocked forever.
 */
export const DEFAULT_DEQUEUE_TIMEOUT = 5;

/** Default Redis port, as RQ's `REDIS_PORT` default. */
export const DEFAULT_REDIS_PORT = 6379;

/** Default Sentinel master name, as RQ's `SENTINEL['MASTER_NAME']` default. */
export const DEFAULT_SENTINEL_MASTER_NAME = 'mymaster';

/** Default Sentinel port, as RQ's `SENTINEL['INSTANCES']` default `[('localhost', 26379)]`. */
export const DEFAULT_SENTINEL_PORT = 26_379;

/**
 * How long a new connection may take to become ready, in ms, unless the settings say otherwise
 * (`SENTINEL.SOCKET_TIMEOUT`, `connectTimeout`): `openConnection`'s wait, and how long a Sentinel
 * client looks for a master it has never reached.
 */
export const DEFAULT_CONNECT_BUDGET_MS = 10_000;

/**
 * How long a Redis Cluster client waits before sending a command again after its node's
 * connection closed (`retryDelayOnFailover`) or the cluster answered `CLUSTERDOWN`
 * (`retryDelayOnClusterDown`), in ms. With {@link DEFAULT_CLUSTER_MAX_REDIRECTIONS} tries that
 * waits out about 8 s of failover; ioredis' 100 ms gives up after 1.6 s. Measured with a master of
 * the test cluster (node timeout 2 s) SIGKILLed under an increment every 20 ms, twice: ioredis'
 * defaults failed 3 of about 320 increments each time, these defaults (with
 * {@link DEFAULT_CLUSTER_REDIRECT_DELAY_MS}) none.
 */
export const DEFAULT_CLUSTER_RETRY_DELAY_MS = 500;

/**
 * How long a Redis Cluster client waits before following a `MOVED` or `TRYAGAIN`, in ms
 * (`retryDelayOnMoved`, `retryDelayOnTryAgain`). Right after a failover nodes briefly disagree
 * on a slot's owner and bounce a command between them: with ioredis' 0 ms the redirections ran
 * out within milliseconds ("Too many Cluster redirections. Last error: MOVED ...").
 */
export const DEFAULT_CLUSTER_REDIRECT_DELAY_MS = 100;

/** How many redirections and retries one command of a Redis Cluster client gets (`maxRedirections`, ioredis' default). */
export const DEFAULT_CLUSTER_MAX_REDIRECTIONS = 16;

/**
 * How long ioredis waits, in ms, for a socket it is closing to say it closed before destroying it
 * (`disconnectTimeout`), for a cluster's node connections and for probes. ioredis' 2000 ms is
 * spent in full when the socket had already failed (a refused connection): its timer then kept
 * `rq` from exiting for 2 s after every failed cluster connect. A healthy close takes a few ms.
 */
export const DEFAULT_DISCONNECT_TIMEOUT_MS = 200;
