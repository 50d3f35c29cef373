/**
 * Connections to a Redis Cluster: CLUSTER settings (config file, environment, `rq --cluster`) made
 * into an ioredis Cluster with rq-ts' defaults, openConnection's waits and errors, and the refusal
 * of a plain connection to a cluster node. One real cluster (3 masters, 3 replicas, a password)
 * and one plain redis-server for the whole file; every client a test opens is closed by it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import {
  ConfigurationError,
  asClusterSettings,
  assertNotClusterNode,
  clusterOptionsFromSettings,
  connectionFromSettings,
  describeConnection,
  loadSettings,
  openConnection,
  redisOptionsFromSettings,
  settingsFromEnv,
  type RedisConnection,
} from '../src/index.js';
import { duplicateConnection } from '../src/redis-client.js';
import { ROOT, RQ_BIN, adminClient, freePort, runRqAsync, startCluster, startRedis, useTempDir, waitUntil, type RedisClusterGroup, type RedisProcess } from './harness/index.js';

const PASSWORD = 'cluster-pw-31337';

/** Slots of the tags {a}, {b} and {c}: one on each master of a fresh cluster (see harness.test.ts). */
const TAG_SLOTS = { a: 15495, b: 3300, c: 7365 } as const;

describe('CLUSTER settings', () => {
  test('NODES in every form: URL, host:port, [host]:port, bare host, [host, port] and { host, port }', () => {
    const { nodes } = clusterOptionsFromSettings({
      NODES: ['redis://10.0.0.1:7000', '10.0.0.2:7001', '[::1]:7002', 'cache.internal', ['10.0.0.3', '7003'], { host: '10.0.0.4', port: 7004 }],
    });
    assert.deepEqual(nodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
      { host: 'cache.internal', port: 6379 },
      { host: '10.0.0.3', port: 7003 },
      { host: '10.0.0.4', port: 7004 },
    ]);
  });

  test('credentials and TLS: USERNAME, PASSWORD and SSL_* win; else the node URLs give them to every node', () => {
    const fromKeys = clusterOptionsFromSettings({ NODES: ['redis://:url-pw@h:1'], USERNAME: 'ada', PASSWORD: 'key-pw', SSL: 'True', SSL_CA_DATA: 'PEM', SSL_CERT_REQS: 'none' });
    assert.deepEqual(fromKeys.options.redisOptions, { username: 'ada', password: 'key-pw', tls: { ca: 'PEM', rejectUnauthorized: false } });
    const fromUrls = clusterOptionsFromSettings({ NODES: ['rediss://ada:url-pw@h:1?ssl_cert_reqs=none', 'h:2'] });
    assert.deepEqual(fromUrls.options.redisOptions, { username: 'ada', password: 'url-pw', tls: { rejectUnauthorized: false } });
    assert.deepEqual(clusterOptionsFromSettings({ NODES: ['h:1'] }).options.redisOptions, {});
  });

  test('SOCKET_TIMEOUT is the connect timeout; CONNECTION_KWARGS go to each node, CLUSTER_KWARGS to the Cluster', () => {
    const { options } = clusterOptionsFromSettings({
      NODES: ['h:1'],
      SOCKET_TIMEOUT: '2.5',
      CONNECTION_KWARGS: { socket_timeout: 4, client_name: 'rq', maxRetriesPerRequest: 3 },
      CLUSTER_KWARGS: { slotsRefreshTimeout: 3000, natMap: { '10.0.0.1:7000': { host: 'public', port: 17000 } } },
    });
    assert.deepEqual(options.redisOptions, { connectTimeout: 2500, commandTimeout: 4000, connectionName: 'rq', maxRetriesPerRequest: 3 });
    assert.equal(options.slotsRefreshTimeout, 3000);
    assert.deepEqual(options.natMap, { '10.0.0.1:7000': { host: 'public', port: 17000 } });
  });

  test('malformed CLUSTER settings are ConfigurationErrors that name the setting and never show a password', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /CLUSTER\.NODES must list at least one node/],
      [{ NODES: [] }, /CLUSTER\.NODES must list at least one node/],
      [{ NODES: ['h:port'] }, /CLUSTER\.NODES\[0\] is 'h:port': give host:port/],
      [{ NODES: [42] }, /CLUSTER\.NODES\[0\] must be host:port/],
      [{ NODES: ['redis://:s3cr3t@h:1/2'] }, /CLUSTER\.NODES\[0\] \(redis:\/\/:\*\*\*@h:1\/2\) names database 2/],
      [{ NODES: ['unix:///tmp/r.sock'] }, /CLUSTER\.NODES\[0\] is a Unix socket/],
      [{ NODES: ['redis://:s3cr3t@h:1', 'redis://:other@h:2'] }, /node URLs give different passwords/],
      [{ NODES: ['redis://h:1', 'rediss://h:2'] }, /node URLs give different schemes/],
      [{ NODES: ['h:1'], SSL: 'maybe' }, /CLUSTER\.SSL is a boolean/],
      [{ NODES: ['h:1'], SSL: true, SSL_CERT_REQS: 'optional' }, /CLUSTER\.SSL_CERT_REQS is 'optional'/],
      [{ NODES: ['h:1'], SOCKET_TIMEOUT: 0 }, /CLUSTER\.SOCKET_TIMEOUT must be a positive number/],
      [{ NODES: ['h:1'], CONNECTION_KWARGS: { db: 1 } }, /CLUSTER\.CONNECTION_KWARGS\.db: a Redis Cluster has only database 0/],
      [{ NODES: ['h:1'], CLUSTER_KWARGS: { read_from_replicas: true } }, /CLUSTER\.CLUSTER_KWARGS\.read_from_replicas is a redis-py option rq-ts does not translate\. Give an ioredis option/],
    ];
    for (const [cluster, expected] of cases) {
      assert.throws(() => clusterOptionsFromSettings(cluster as never), (error: Error) => {
        assert.ok(error instanceof ConfigurationError, `${inspect(cluster)}: ${error.message}`);
        assert.match(error.message, expected);
        assert.doesNotMatch(error.message, /s3cr3t|other/);
        return true;
      });
    }
  });

  test('precedence: REDIS_URL wins over CLUSTER; SENTINEL with CLUSTER is refused; the Redis options of a CLUSTER are refused', () => {
    const client = connectionFromSettings({ REDIS_URL: 'redis://127.0.0.1:1', CLUSTER: { NODES: ['h:1'] }, ...lazy });
    try {
      assert.ok(client instanceof Redis);
    } finally {
      client.disconnect();
    }
    assert.throws(() => connectionFromSettings({ SENTINEL: {}, CLUSTER: { NODES: ['h:1'] } }), /Both SENTINEL and CLUSTER are set/);
    assert.throws(() => redisOptionsFromSettings({ CLUSTER: { NODES: ['h:1'] } }), (error: Error) => error instanceof ConfigurationError && /describe a Redis Cluster/.test(error.message));
  });

  test('REDIS_CLUSTER_NODES: the environment form, with REDIS_USERNAME, REDIS_PASSWORD and REDIS_SSL*; a REDIS_DB other than 0 is refused', () => {
    const settings = settingsFromEnv({ REDIS_CLUSTER_NODES: ' h1:7000, redis://h2:7001 ,', REDIS_PASSWORD: 'pw', REDIS_USERNAME: 'ada', REDIS_SSL: 'true', REDIS_SSL_CERT_REQS: 'none', REDIS_HOST: 'ignored' });
    assert.deepEqual(settings.CLUSTER, { NODES: ['h1:7000', 'redis://h2:7001'], USERNAME: 'ada', PASSWORD: 'pw', SSL: 'true', SSL_CERT_REQS: 'none' });
    assert.deepEqual(clusterOptionsFromSettings(settings.CLUSTER!).options.redisOptions, { username: 'ada', password: 'pw', tls: { rejectUnauthorized: false } });
    assert.equal(settingsFromEnv({ REDIS_CLUSTER_NODES: '' }).CLUSTER, undefined);
    assert.throws(() => settingsFromEnv({ REDIS_CLUSTER_NODES: 'h:1', REDIS_DB: '3' }), /REDIS_DB is 3, but a Redis Cluster has only database 0/);
    // The CLI's --cluster: the URL, else REDIS_HOST:REDIS_PORT, is the node.
    assert.deepEqual(asClusterSettings({ REDIS_URL: 'redis://:pw@h:1', REDIS_PASSWORD: 'other' }), { NODES: ['redis://:pw@h:1'] });
    assert.deepEqual(asClusterSettings({ REDIS_HOST: 'h', REDIS_PORT: '7000', REDIS_PASSWORD: 'pw' }), { NODES: ['h:7000'], PASSWORD: 'pw' });
  });

  test('describeConnection shows a cluster as its nodes, password masked', () => {
    assert.equal(describeConnection(clusterOptionsFromSettings({ NODES: ['h1:7000', '[::1]:7001'], PASSWORD: 'pw' })), 'cluster://:***@h1:7000,[::1]:7001');
    assert.equal(describeConnection(clusterOptionsFromSettings({ NODES: ['rediss://ada:pw@h1:7000'] })), 'cluster+tls://ada:***@h1:7000');
    assert.equal(describeConnection(clusterOptionsFromSettings({ NODES: ['h1:7000'], USERNAME: 'ada' })), 'cluster://ada@h1:7000');
  });
});

/**
 * `opening`, with its connection closed should it open after all: a test that expects a refusal
 * then fails ("Missing expected rejection") instead of hanging on the open connection.
 */
function closedIfOpened(opening: Promise<RedisConnection>): Promise<RedisConnection> {
  return opening.then((connection) => {
    connection.disconnect();
    return connection;
  });
}

/** Options that keep a client from connecting, for tests that only look at it. */
const lazy = { CLUSTER_KWARGS: { lazyConnect: true } } as const;

describe('on a real cluster with a password', () => {
  let cluster: RedisClusterGroup;
  let plain: RedisProcess;
  const opened: RedisConnection[] = [];
  /** Closes `connection` after the file. */
  const keep = <T extends RedisConnection>(connection: T): T => {
    opened.push(connection);
    return connection;
  };
  const nodeUrl = (index: number, password = PASSWORD) => `redis://:${password}@127.0.0.1:${cluster.nodes[index]!.port}`;
  const clusterSettings = (extra: Record<string, unknown> = {}) => ({
    CLUSTER: { NODES: cluster.startupNodes.slice(0, 2).map(({ host, port }) => `${host}:${port}`), PASSWORD, ...extra },
  });

  before(async () => {
    [cluster, plain] = await Promise.all([startCluster({ password: PASSWORD }), startRedis()]);
  });
  after(async () => {
    for (const connection of opened) connection.disconnect();
    await Promise.all([cluster?.stop(), plain?.stop()]);
  });

  test('connectionFromSettings gives a Cluster that writes and reads keys on all three masters', async () => {
    const client = keep(connectionFromSettings(clusterSettings()));
    assert.ok(client instanceof Cluster);
    for (const tag of Object.keys(TAG_SLOTS)) await client.set(`conn{${tag}}`, tag);
    const owners = await Promise.all(Object.entries(TAG_SLOTS).map(async ([tag, slot]) => {
      const master = await cluster.masterOf(slot);
      const direct = adminClient(master, PASSWORD);
      try {
        assert.equal(await direct.get(`conn{${tag}}`), tag, `conn{${tag}} is not on the master of slot ${slot}`);
      } finally {
        direct.disconnect();
      }
      return master.port;
    }));
    assert.equal(new Set(owners).size, 3);
  });

  test("its defaults: reads on masters, retries that outlast a failover, the ready check; its duplicates keep them and connect", async () => {
    const client = keep(await openConnection(clusterSettings()));
    const expected = { scaleReads: 'master', enableReadyCheck: true, maxRedirections: 16, retryDelayOnFailover: 500, retryDelayOnClusterDown: 500, retryDelayOnMoved: 100, retryDelayOnTryAgain: 100 };
    const duplicate = keep(client.duplicate());
    const blocking = keep(duplicateConnection(client, { connectionName: 'rq:blocking' }) as Cluster);
    for (const connection of [client, duplicate, blocking]) {
      for (const [name, value] of Object.entries(expected)) assert.equal(connection.options[name as keyof typeof expected], value, name);
      assert.equal(connection.options.redisOptions?.password, PASSWORD);
      assert.equal(typeof connection.options.clusterRetryStrategy, 'function');
    }
    // A duplicate gets a retry strategy of its own: its budget starts when it connects.
    assert.notEqual(duplicate.options.clusterRetryStrategy, client.options.clusterRetryStrategy);
    assert.equal(blocking.options.redisOptions?.connectionName, 'rq:blocking');
    await duplicate.set('dup{a}', '1');
    assert.equal(await blocking.get('dup{a}'), '1');
  });

  test('openConnection waits until the cluster is ready: the environment form, REDIS_CLUSTER_NODES', async () => {
    const env = { REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.nodes[4]!.port},127.0.0.1:${cluster.nodes[5]!.port}`, REDIS_PASSWORD: PASSWORD };
    const client = keep(await openConnection(await loadSettings({ env })));
    assert.ok(client instanceof Cluster);
    assert.equal(client.status, 'ready');
    assert.equal(client.nodes('master').length, 3);
    await client.set('env{b}', 'x');
    assert.equal(await client.get('env{b}'), 'x');
  });

  test('a wrong password fails at once, naming each node tried, and never shows the password', async () => {
    const started = Date.now();
    await assert.rejects(closedIfOpened(openConnection(clusterSettings({ PASSWORD: 'wrong-pw-777' }))), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /^Cannot connect to the Redis Cluster at cluster:\/\/:\*\*\*@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+: /);
      for (const node of cluster.startupNodes.slice(0, 2)) assert.match(error.message, new RegExp(`node 127\\.0\\.0\\.1:${node.port} refused the credentials \\(WRONGPASS`));
      assert.match(error.message, /Check CLUSTER\.PASSWORD and CLUSTER\.USERNAME/);
      assert.doesNotMatch(inspect(error, { depth: 10 }), /wrong-pw-777/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'a refused password waited for the connect budget');
  });

  test('a single Redis named as a cluster node is refused: not a cluster node, describe it with REDIS_URL or REDIS_HOST', async () => {
    await assert.rejects(closedIfOpened(openConnection({ CLUSTER: { NODES: [`127.0.0.1:${plain.port}`] } })), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${plain.port} is not a cluster node: it is a single Redis, with cluster support disabled`));
      assert.match(error.message, /described with REDIS_URL or REDIS_HOST/);
      return true;
    });
  });

  test('a cluster node opened as a single Redis is refused, saying how to describe the cluster', async () => {
    const port = cluster.nodes[1]!.port;
    await assert.rejects(closedIfOpened(openConnection(nodeUrl(1))), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0 is a node of a Redis Cluster`));
      assert.match(error.message, new RegExp(`CLUSTER = \\{ NODES: \\['127\\.0\\.0\\.1:${port}'\\] \\}.*REDIS_CLUSTER_NODES=127\\.0\\.0\\.1:${port}.*--cluster`));
      assert.doesNotMatch(error.message, new RegExp(PASSWORD));
      return true;
    });
    // The check on its own, as the library calls it: a node refused, a single Redis and a Cluster pass.
    const node = keep(new Redis(nodeUrl(1)));
    await assert.rejects(assertNotClusterNode(node), ConfigurationError);
    await assertNotClusterNode(keep(new Redis(plain.url)));
    await assertNotClusterNode(keep(connectionFromSettings(clusterSettings())));
  });

  test('unreachable nodes: openConnection fails at once naming each; a client from connectionFromSettings gives up after SOCKET_TIMEOUT', async () => {
    const ports = [await freePort(), await freePort()];
    const settings = { CLUSTER: { NODES: ports.map((port) => `127.0.0.1:${port}`), SOCKET_TIMEOUT: 1 } };
    const started = Date.now();
    await assert.rejects(closedIfOpened(openConnection(settings)), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      for (const port of ports) assert.match(error.message, new RegExp(`node 127\\.0\\.0\\.1:${port} is unreachable \\(connect ECONNREFUSED`));
      assert.match(error.message, /Is the cluster running there\? Check CLUSTER\.NODES\./);
      return true;
    });
    assert.ok(Date.now() - started < 3000, 'openConnection waited past its budget for unreachable nodes');
    const client = keep(connectionFromSettings(settings));
    client.on('error', () => undefined);
    const answer = client.get('k').then(() => 'answered', (error: Error) => error.message);
    await waitUntil(() => client.status === 'end', 6000, 'the client to give up after SOCKET_TIMEOUT');
    assert.match(await answer, /None of startup nodes is available/);
  });

  test('nodes that answer but announce addresses this client cannot reach: it gives up within SOCKET_TIMEOUT and names them, with natMap', async () => {
    const dead = await freePort();
    // natMap sends every announced node to a dead port: the nodes answer CLUSTER SLOTS, nothing else does.
    const natMap = Object.fromEntries(cluster.nodes.map((node) => [`127.0.0.1:${node.port}`, { host: '127.0.0.1', port: dead }]));
    const started = Date.now();
    await assert.rejects(closedIfOpened(openConnection(clusterSettings({ SOCKET_TIMEOUT: 1.5, CLUSTER_KWARGS: { natMap } }))), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /node 127\.0\.0\.1:\d+ answers \(cluster_state:ok\)/);
      assert.match(error.message, new RegExp(`announces its nodes as .*127\\.0\\.0\\.1:${cluster.nodes[0]!.port}`));
      assert.match(error.message, /CLUSTER\.CLUSTER_KWARGS\.natMap/);
      return true;
    });
    assert.ok(Date.now() - started < 6000, 'openConnection waited past its budget');
  });

  describe('the rq command line', () => {
    const dir = useTempDir('rqts-cluster-');
    const suspendedOnCluster = async () => {
      const client = keep(connectionFromSettings(clusterSettings()));
      return (await client.exists('rq:suspended')) === 1;
    };

    test('rq suspend and rq resume with -c settings (.json, .mjs) holding a CLUSTER block act on the cluster', async () => {
      writeFileSync(join(dir(), 'cluster.json'), JSON.stringify(clusterSettings()));
      writeFileSync(join(dir(), 'cluster_settings.mjs'), `export const CLUSTER = ${JSON.stringify(clusterSettings().CLUSTER)};\n`);
      const suspended = await runRqAsync(['suspend', '-c', 'cluster.json'], { cwd: dir() });
      assert.equal(suspended.code, 0, suspended.stderr);
      assert.match(suspended.stdout, /Suspending workers/);
      assert.equal(await suspendedOnCluster(), true);
      const resumed = await runRqAsync(['resume', '-c', 'cluster_settings'], { cwd: dir() });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(await suspendedOnCluster(), false);
    });

    test('rq -u URL --cluster, and REDIS_CLUSTER_NODES in the environment, reach the cluster', async () => {
      const suspended = await runRqAsync(['suspend', '-u', nodeUrl(2), '--cluster']);
      assert.equal(suspended.code, 0, suspended.stderr);
      assert.equal(await suspendedOnCluster(), true);
      const resumed = await runRqAsync(['resume'], { env: { REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.nodes[3]!.port}`, REDIS_PASSWORD: PASSWORD } });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(await suspendedOnCluster(), false);
    });

    test('rq refuses a cluster node without --cluster, a wrong password, a single Redis with --cluster and unreachable nodes: exit 1, one line each', async () => {
      const dead = await freePort();
      const runs = await Promise.all([
        runRqAsync(['suspend', '-u', nodeUrl(0)]),
        runRqAsync(['suspend', '-u', nodeUrl(0, 'bad-pw-4242'), '--cluster']),
        runRqAsync(['suspend', '-u', plain.url, '--cluster']),
        runRqAsync(['suspend', '-u', `redis://127.0.0.1:${dead}`, '--cluster']),
      ]);
      const expected = [
        /is a node of a Redis Cluster.*--cluster on the rq command line/,
        /refused the credentials \(WRONGPASS/,
        /is not a cluster node/,
        new RegExp(`node 127\\.0\\.0\\.1:${dead} is unreachable`),
      ];
      runs.forEach((run, index) => {
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stderr, expected[index]!);
        assert.equal(run.stderr.trim().split('\n').length, 1, `more than one line: ${run.stderr}`);
        assert.doesNotMatch(run.stderr, /bad-pw-4242|cluster-pw-31337/);
      });
      assert.equal(await suspendedOnCluster(), false);
    });

    test('rq enqueue, worker --burst, info, requeue, empty and worker-pool on queues of three masters', async () => {
      const url = nodeUrl(1);
      const fixtures = join(ROOT, 'test', 'fixtures');
      for (const [queue, args] of [['a', ['2', '3']], ['b', ['on purpose']], ['c', ['4', '5']]] as const) {
        const enqueued = await runRqAsync(['enqueue', '-u', url, '--cluster', '--queue', queue, queue === 'b' ? 'tasks.fail' : 'tasks.add', ...args]);
        assert.equal(enqueued.code, 0, enqueued.stderr);
        assert.match(enqueued.stdout, new RegExp(`\\{${queue}\\}[0-9a-f-]{36}`));
      }
      const worked = await runRqAsync(['worker', '--burst', '-u', url, '--cluster', '-P', fixtures, '--name', 'cli-cluster', 'a', 'b', 'c']);
      assert.equal(worked.code, 0, worked.stderr);
      assert.match(worked.stdout, /a: Job OK/);
      assert.match(worked.stderr, /b: Job failed .*on purpose/);
      const info = await runRqAsync(['info', '--raw', '-u', url, '--cluster']);
      assert.equal(info.code, 0, info.stderr);
      for (const queue of ['a', 'b', 'c']) assert.match(info.stdout, new RegExp(`queue ${queue} 0`));
      const requeued = await runRqAsync(['requeue', '-u', url, '--cluster', '--queue', 'b', '--all']);
      assert.equal(requeued.code, 0, requeued.stderr);
      assert.match(requeued.stdout, /Requeued 1 job/);
      const emptied = await runRqAsync(['empty', '-u', url, '--cluster', 'b']);
      assert.equal(emptied.code, 0, emptied.stderr);
      assert.match(emptied.stdout, /1 job/);
      const client = keep(connectionFromSettings(clusterSettings()));
      assert.equal(await client.llen('rq:queue:{b}'), 0);
      for (let n = 0; n < 6; n++) assert.equal((await runRqAsync(['enqueue', '-u', url, '--cluster', '--queue', n % 2 ? 'a' : 'c', 'tasks.add', String(n), '1'])).code, 0);
      const pool = await runRqAsync(['worker-pool', '-n', '2', '--burst', '-u', url, '--cluster', '-P', fixtures, 'a', 'c']);
      assert.equal(pool.code, 0, pool.stderr);
      assert.equal((await client.llen('rq:queue:{a}')) + (await client.llen('rq:queue:{c}')), 0);
      assert.equal(await client.zcard('rq:finished:{a}') + (await client.zcard('rq:finished:{c}')), 8);
      await cluster.flush(); // the next test reads an empty cluster
    });

    test('rq dashboard -c settings with a CLUSTER block serves what the cluster holds', async () => {
      writeFileSync(join(dir(), 'dash.json'), JSON.stringify(clusterSettings()));
      const client = keep(connectionFromSettings(clusterSettings()));
      await client.set('rq:suspended', '1');
      const child = spawn(process.execPath, [RQ_BIN, 'dashboard', '-c', 'dash.json', '--port', '0'], { cwd: dir(), env: { PATH: process.env['PATH'] ?? '', REDIS_PORT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const address = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /http:\/\/\S+/.exec(out);
            if (match) resolve(match[0]);
          });
          child.once('exit', (code) => reject(new Error(`rq dashboard exited with ${code}`)));
        });
        const response = await fetch(`${address}api/queues`);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { suspended: true, queues: [] });
      } finally {
        child.kill('SIGTERM');
        await client.del('rq:suspended');
      }
    });
  });
});

/** Compile-time checks only (never called): what TypeScript knows a settings literal gives. */
async function typeChecks(): Promise<void> {
  const plain: Redis = connectionFromSettings('redis://h:1');
  const fromHost: Redis = connectionFromSettings({ REDIS_HOST: 'h' });
  const cluster: Cluster = connectionFromSettings({ CLUSTER: { NODES: ['h:1'] } });
  const opened: Cluster = await openConnection({ CLUSTER: { NODES: ['h:1'] } });
  const loaded: RedisConnection = await openConnection(await loadSettings());
  // @ts-expect-error settings read at run time may describe a cluster
  const notKnown: Redis = connectionFromSettings(await loadSettings());
  // @ts-expect-error REDIS_URL wins over CLUSTER: not a Cluster
  const urlWins: Cluster = connectionFromSettings({ REDIS_URL: 'redis://h:1', CLUSTER: { NODES: ['h:1'] } });
  void [plain, fromHost, cluster, opened, loaded, notKnown, urlWins];
}
void typeChecks;
