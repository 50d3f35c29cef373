/**
 * Why a Redis Cluster client could not be opened, in words: each startup node is asked by a probe
 * of its own (`CLUSTER INFO`, then `CLUSTER SLOTS`), because ioredis keeps only the last node's
 * error. Passwords never appear: only the servers' and sockets' error texts are quoted.
 */
import type { RedisOptions } from 'ioredis';
import type { ClusterConnectionOptions } from './cluster-options.js';
import { probeClient, withTimeout } from './probe.js';
import { redisErrorKind } from './redis-errors.js';

/** What one node's answer means for the diagnosis. */
type Verdict = 'ok' | 'failing' | 'not-cluster' | 'credentials' | 'unreachable';

/** One node's answer: its verdict, a phrase for the message, and for a healthy node the addresses the cluster announces. */
interface NodeAnswer {
  readonly verdict: Verdict;
  readonly phrase: string;
  readonly announced?: readonly string[];
}

/** A range of `CLUSTER SLOTS`: first slot, last slot, then `[host, port, id]` of its master and replicas. */
type SlotRange = [number, number, ...Array<[string, number, string]>];

/**
 * What each startup node of `cluster` answers, asked all at once for at most `probeMs` each, and
 * what to check: "node 10.0.0.1:7000 refused the credentials (WRONGPASS ...); ... Check CLUSTER.PASSWORD ...".
 */
export async function diagnoseCluster(cluster: ClusterConnectionOptions, probeMs: number): Promise<string> {
  const { username, password, tls } = cluster.options.redisOptions ?? {};
  const credentials: RedisOptions = { ...(username ? { username } : {}), ...(password ? { password } : {}), ...(tls ? { tls } : {}) };
  const answers = await Promise.all(cluster.nodes.map((node) => askNode(node, credentials, probeMs)));
  return `${answers.map((answer) => answer.phrase).join('; ')}. ${adviceFor(answers)}`;
}

/** What one node says about its cluster, as a {@link NodeAnswer}. */
async function askNode(node: { host: string; port: number }, credentials: RedisOptions, probeMs: number): Promise<NodeAnswer> {
  const address = `${node.host}:${node.port}`;
  const { client, firstError } = probeClient({ ...credentials, host: node.host, port: node.port }, probeMs);
  try {
    await withTimeout(client.connect(), probeMs);
    const info = (await withTimeout(client.call('CLUSTER', 'INFO'), probeMs)) as string;
    if (!/^cluster_state:ok\b/m.test(info)) {
      return { verdict: 'failing', phrase: `node ${address} says cluster_state:fail (some slots have no master serving them)` };
    }
    const ranges = (await withTimeout(client.call('CLUSTER', 'SLOTS'), probeMs)) as SlotRange[];
    const announced = [...new Set(ranges.flatMap(([, , ...nodes]) => nodes.map(([host, port]) => `${host}:${port}`)))];
    return { verdict: 'ok', phrase: `node ${address} answers (cluster_state:ok)`, announced };
  } catch (error) {
    const reason = firstError() ?? (error as Error);
    if (/cluster support disabled/i.test(reason.message)) {
      return { verdict: 'not-cluster', phrase: `${address} is not a cluster node: it is a single Redis, with cluster support disabled (${reason.message})` };
    }
    if (redisErrorKind(reason) === 'permission') return { verdict: 'credentials', phrase: `node ${address} refused the credentials (${reason.message})` };
    return { verdict: 'unreachable', phrase: `node ${address} is unreachable (${reason.message})` };
  } finally {
    client.disconnect();
  }
}

/** The sentence that ends the diagnosis: what to check, after the likeliest cause among the answers. */
function adviceFor(answers: readonly NodeAnswer[]): string {
  const has = (verdict: Verdict) => answers.some((answer) => answer.verdict === verdict);
  if (has('not-cluster')) {
    return 'A single Redis is described with REDIS_URL or REDIS_HOST (on the rq command line, -u without --cluster), not as a CLUSTER node.';
  }
  if (has('credentials')) {
    return 'Check CLUSTER.PASSWORD and CLUSTER.USERNAME (with REDIS_CLUSTER_NODES or rq --cluster: REDIS_PASSWORD and REDIS_USERNAME, or the URL\'s).';
  }
  if (has('failing')) return 'Wait until every slot has a master again, or check the cluster with redis-cli --cluster check.';
  if (answers.length > 0 && answers.every((answer) => answer.verdict === 'ok')) {
    const announced = [...new Set(answers.flatMap((answer) => answer.announced ?? []))];
    return (
      `The nodes answer, but the client did not get ready in time. The cluster announces its nodes as ${announced.slice(0, 6).join(', ')}${announced.length > 6 ? ', ...' : ''}: ` +
      'if those addresses cannot be reached from here (NAT, Docker), map them with CLUSTER.CLUSTER_KWARGS.natMap, or give a longer SOCKET_TIMEOUT.'
    );
  }
  return 'Is the cluster running there? Check CLUSTER.NODES.';
}
