/**
 * Per-file test setup on a real redis-server: one server per test file, a flushed database and
 * flushed scripts before each test (so the NOSCRIPT path stays exercised), and a leak check after
 * each test that fails the test which left a connection open.
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { adminClient, startRedis, waitUntil, type RedisProcess, type StartRedisOptions } from './redis-server.js';

export * from './redis-server.js';

/** What {@link useRedis} gives a test file. */
export interface RedisFixture {
  /** The server of this file (valid inside tests and hooks). */
  readonly server: RedisProcess;
  /** An admin client for assertions; excluded from the leak check. */
  readonly admin: Redis;
  /**
   * A new client to the server, for the code under test. The fixture closes it after the test,
   * before the leak check, which so catches only connections that rq-ts itself left open.
   */
  connect(options?: RedisOptions): Redis;
}

/** Starts a redis-server for this test file and registers the hooks described above. */
export function useRedis(options: StartRedisOptions = {}): RedisFixture {
  let server: RedisProcess | undefined;
  let admin: Redis | undefined;
  const clients: Redis[] = [];
  before(async () => {
    server = await startRedis(options);
    admin = adminClient(server, options.password);
  });
  after(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await admin!.flushall();
    await admin!.script('FLUSH');
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await assertNoLeakedConnections(admin!);
  });
  return {
    get server() {
      return server!;
    },
    get admin() {
      return admin!;
    },
    connect(extra: RedisOptions = {}) {
      const client = new Redis({ host: '127.0.0.1', port: server!.port, ...(options.password ? { password: options.password } : {}), ...extra });
      clients.push(client);
      return client;
    },
  };
}

/** Fails when any connection other than the admin's is still open on the server after 2 s. */
export async function assertNoLeakedConnections(admin: Redis): Promise<void> {
  let others: string[] = [];
  try {
    await waitUntil(async () => {
      const list = (await admin.client('LIST')) as string;
      others = list.split('\n').filter((line) => line.trim() !== '' && !line.includes('name=rqts-test-admin'));
      return others.length === 0;
    }, 2000, 'test connections to close');
  } catch {
    throw new Error(`The test left ${others.length} Redis connection(s) open; close every client, queue and worker:\n${others.join('\n')}`);
  }
}
export * from './cli.js';
export * from './cluster.js';
