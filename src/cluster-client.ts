/**
 * The ioredis `Cluster` rq-ts builds from settings, with its reliability defaults: a retry
 * strategy that gives up on a cluster it has never reached once the connect budget is spent (wrong
 * settings fail instead of hanging) and waits out any outage after that, redirections and retries
 * that outlast a failover, reads from masters only, and the ready check. Its duplicates (a
 * worker's blocking and pub/sub connections) get the same.
 */
import { Cluster, type ClusterNode, type ClusterOptions } from 'ioredis';
import {
  DEFAULT_CLUSTER_MAX_REDIRECTIONS,
  DEFAULT_CLUSTER_REDIRECT_DELAY_MS,
  DEFAULT_CLUSTER_RETRY_DELAY_MS,
  DEFAULT_CONNECT_BUDGET_MS,
  DEFAULT_DISCONNECT_TIMEOUT_MS,
} from './defaults.js';

/** Retry strategies made here: a duplicate gets a new one, with its own budget, instead of its original's. */
const ownStrategies = new WeakSet<object>();

/**
 * `new Cluster(nodes, options)` with rq-ts' defaults, each kept where `options` sets it:
 * - `clusterRetryStrategy`: while the client has never been ready, it gives up once the connect
 *   budget (`redisOptions.connectTimeout`, else 10 s) has passed since it started connecting;
 *   once it has been ready it tries again forever, every 0.1 to 2 s;
 * - `scaleReads: 'master'`: a job read right after it was written is there (replicas lag);
 * - `retryDelayOnFailover`, `retryDelayOnClusterDown` 500 ms, `retryDelayOnMoved`,
 *   `retryDelayOnTryAgain` 100 ms, `maxRedirections` 16 (see defaults.ts for what was measured);
 * - `enableReadyCheck`: ready only once `CLUSTER INFO` says `cluster_state:ok`;
 * - node connections' `disconnectTimeout` 200 ms (see defaults.ts).
 *
 * No `READONLY` reconnect, unlike a plain client's: with reads on masters the client never sends
 * `READONLY`, and a demoted master answers `MOVED`, which the Cluster follows.
 */
export function createClusterClient(nodes: ClusterNode[], options: ClusterOptions): Cluster {
  const result: ClusterOptions = {
    scaleReads: 'master',
    enableReadyCheck: true,
    maxRedirections: DEFAULT_CLUSTER_MAX_REDIRECTIONS,
    retryDelayOnFailover: DEFAULT_CLUSTER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: DEFAULT_CLUSTER_RETRY_DELAY_MS,
    retryDelayOnMoved: DEFAULT_CLUSTER_REDIRECT_DELAY_MS,
    retryDelayOnTryAgain: DEFAULT_CLUSTER_REDIRECT_DELAY_MS,
    ...withoutUndefined(options),
  };
  result.redisOptions = { disconnectTimeout: DEFAULT_DISCONNECT_TIMEOUT_MS, ...options.redisOptions };
  let everReady = false;
  let startedAt = Date.now();
  if (options.clusterRetryStrategy === undefined || ownStrategies.has(options.clusterRetryStrategy as object)) {
    const budgetMs = options.redisOptions?.connectTimeout ?? DEFAULT_CONNECT_BUDGET_MS;
    const strategy = (attempt: number) => (!everReady && Date.now() - startedAt > budgetMs ? null : Math.min(attempt * 100, 2000));
    ownStrategies.add(strategy);
    result.clusterRetryStrategy = strategy;
  }
  const client = new Cluster(nodes, result);
  client.once('connecting', () => {
    startedAt = Date.now(); // a lazy client's budget starts when it connects, not when it was made
  });
  client.once('ready', () => {
    everReady = true;
  });
  client.duplicate = (overrideNodes: ClusterNode[] = [], override: ClusterOptions = {}) =>
    createClusterClient(overrideNodes.length > 0 ? overrideNodes : nodes, { ...client.options, ...override });
  return client;
}

/** `options` without the keys set to undefined, which would otherwise hide a default. */
function withoutUndefined(options: ClusterOptions): ClusterOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as ClusterOptions;
}
