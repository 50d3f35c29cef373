import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import {
  ConfigurationError,
  Queue,
  connectionFromSettings,
  describeConnection,
  durableFromSettings,
  loadSettings,
  maskUrl,
  openConnection,
  redisOptionsFromSettings,
  redisOptionsFromUrl,
  type RedisConnection,
} from '../src/index.js';
import { adminClient, freePort, makeTlsFiles, startRedis, type RedisProcess, type TlsFiles } from './harness/index.js';

describe('URLs, read as redis-py reads them', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0 }],
    ['redis://127.0.0.1:6380/3', { host: '127.0.0.1', port: 6380, db: 3 }],
    ['redis://:p%40ss@h:1/2', { host: 'h', port: 1, db: 2, password: 'p@ss' }],
    ['redis://alice:secret@h:1', { host: 'h', port: 1, db: 0, username: 'alice', password: 'secret' }],
    ['redis://h:1/0?db=5', { host: 'h', port: 1, db: 5 }],
    ['redis://[::1]:7000', { host: '::1', port: 7000, db: 0 }],
    ['unix:///tmp/redis.sock', { path: '/tmp/redis.sock', db: 0 }],
    ['unix:///tmp/redis.sock?db=4&password=pw', { path: '/tmp/redis.sock', db: 4, password: 'pw' }],
    ['unix://:pw@/tmp/redis.sock?db=1', { path: '/tmp/redis.sock', db: 1, password: 'pw' }],
  ];
  for (const [url, expected] of cases) {
    test(`${url}`, () => {
      assert.deepEqual(redisOptionsFromUrl(url), expected);
    });
  }

  test('rediss:// turns TLS on; ssl_cert_reqs=none skips verification', () => {
    assert.deepEqual(redisOptionsFromUrl('rediss://h:6380').tls, {});
    assert.deepEqual(redisOptionsFromUrl('rediss://h:6380?ssl_cert_reqs=none').tls, { rejectUnauthorized: false });
  });

  test('another scheme, a malformed URL or a bad db is a ConfigurationError that masks the password', () => {
    assert.throws(() => redisOptionsFromUrl('http://u:topsecret@h'), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /Unsupported Redis URL scheme 'http:'/);
      assert.doesNotMatch(error.message, /topsecret/);
      return true;
    });
    assert.throws(() => redisOptionsFromUrl('not a url :topsecret@'), (error: Error) => error instanceof ConfigurationError && /Not a valid Redis URL/.test(error.message));
    assert.throws(() => redisOptionsFromUrl('redis://:topsecret@h/x'), (error: Error) => {
      assert.match(error.message, /database number/);
      assert.doesNotMatch(error.message, /topsecret/);
      return true;
    });
  });

  test('maskUrl and describeConnection never show a password', () => {
    assert.equal(maskUrl('redis://user:pw@h:1/0'), 'redis://user:***@h:1/0');
    assert.equal(maskUrl('redis://:pw@h:1/0'), 'redis://:***@h:1/0');
    assert.equal(maskUrl('redis://h:1/0'), 'redis://h:1/0');
    assert.equal(maskUrl('unix:///s.sock?db=x&password=secret'), 'unix:///s.sock?db=x&password=***');
    assert.equal(maskUrl('redis://:pa/ss@h:1/0x'), 'redis://:***@h:1/0x');
    assert.equal(maskUrl('redis://u:p@ss@h:1'), 'redis://u:***@h:1');
    // Text that is not a URL is shown as typed, with what looks like a password masked.
    assert.equal(maskUrl('no scheme :secret@x'), 'no scheme :***@x');
    assert.equal(maskUrl('redis//oops'), 'redis//oops');
    assert.equal(maskUrl('redis//u:secret@h:1'), 'redis//u:***@h:1');
    assert.equal(maskUrl('redis//secret@h'), 'redis//***@h');
    assert.equal(maskUrl('redis:/u:p/w@h?password=x'), 'redis:***@h?password=***');
    assert.throws(() => redisOptionsFromUrl('unix:///s.sock?db=x&password=secret'), (error: Error) => !error.message.includes('secret'));
    assert.equal(describeConnection(redisOptionsFromUrl('redis://u:pw@h:1/2')), 'redis://u:***@h:1/2');
    assert.equal(describeConnection(redisOptionsFromUrl('unix://:pw@/tmp/s.sock?db=1')), 'unix://:***@/tmp/s.sock?db=1');
    assert.equal(
      describeConnection(redisOptionsFromSettings({ SENTINEL: { INSTANCES: [['a', 1], ['b', 2]], MASTER_NAME: 'm', PASSWORD: 'pw', DB: 3 } })),
      'sentinel://:***@a:1,b:2/m/3',
    );
  });
});

describe("RQ's REDIS_* settings", () => {
  test('defaults: localhost:6379, db 0, no password, no TLS', () => {
    assert.deepEqual(redisOptionsFromSettings({}), { host: 'localhost', port: 6379, db: 0 });
  });

  test('environment strings are read as RQ reads them', () => {
    const options = redisOptionsFromSettings({ REDIS_HOST: 'h', REDIS_PORT: '7001', REDIS_DB: '4', REDIS_PASSWORD: 'pw', REDIS_SSL: 'yes', REDIS_SSL_CERT_REQS: 'none' });
    assert.deepEqual(options, { host: 'h', port: 7001, db: 4, password: 'pw', tls: { rejectUnauthorized: false } });
    assert.equal(redisOptionsFromSettings({ REDIS_SSL: 'False' }).tls, undefined);
    assert.equal(redisOptionsFromSettings({ REDIS_SSL: '' }).tls, undefined);
  });

  test('REDIS_URL wins over SENTINEL, which wins over REDIS_HOST', () => {
    const sentinel = { INSTANCES: [['s', 1]] as Array<[string, number]> };
    assert.equal(redisOptionsFromSettings({ REDIS_URL: 'redis://u:1', SENTINEL: sentinel, REDIS_HOST: 'h' }).host, 'u');
    assert.deepEqual(redisOptionsFromSettings({ SENTINEL: sentinel, REDIS_HOST: 'h' }).sentinels, [{ host: 's', port: 1 }]);
  });

  test('SENTINEL keys become ioredis Sentinel options, with the failover detector on', () => {
    const options = redisOptionsFromSettings({
      SENTINEL: {
        INSTANCES: [['127.0.0.1', 26379], ['127.0.0.1', '26380']],
        MASTER_NAME: 'main',
        DB: 2,
        USERNAME: 'app',
        PASSWORD: 'pw',
        SOCKET_TIMEOUT: 0.5,
        CONNECTION_KWARGS: { socket_connect_timeout: 2, client_name: 'rq' },
        SENTINEL_KWARGS: { password: 'sentinel-pw', username: 'sentinel-user' },
      },
    });
    assert.deepEqual(options.sentinels, [{ host: '127.0.0.1', port: 26379 }, { host: '127.0.0.1', port: 26380 }]);
    assert.equal(options.name, 'main');
    assert.equal(options.db, 2);
    assert.equal(options.username, 'app');
    assert.equal(options.password, 'pw');
    assert.equal(options.sentinelPassword, 'sentinel-pw');
    assert.equal(options.sentinelUsername, 'sentinel-user');
    assert.equal(options.connectTimeout, 2000);
    assert.equal(options.sentinelCommandTimeout, 500);
    assert.equal(options.connectionName, 'rq');
    assert.equal(options.failoverDetector, true);
  });

  test('without SENTINEL_KWARGS the password goes to the sentinels too, as in RQ 1.13', () => {
    const options = redisOptionsFromSettings({ SENTINEL: { PASSWORD: 'pw' } });
    assert.equal(options.sentinelPassword, 'pw');
    assert.deepEqual(options.sentinels, [{ host: 'localhost', port: 26379 }]);
    assert.equal(options.name, 'mymaster');
  });

  test('bad values are ConfigurationErrors that name the setting', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ REDIS_PORT: 'abc' }, /REDIS_PORT must be a whole number/],
      [{ REDIS_DB: '-1' }, /REDIS_DB/],
      [{ REDIS_SSL: 'maybe' }, /REDIS_SSL is a boolean/],
      [{ REDIS_SSL: true, REDIS_SSL_CERT_REQS: 'sometimes' }, /REDIS_SSL_CERT_REQS/],
      [{ REDIS_SSL: true, REDIS_SSL_CA_CERTS: '/nonexistent/ca.pem' }, /REDIS_SSL_CA_CERTS: cannot read/],
      [{ SENTINEL: { INSTANCES: [] } }, /SENTINEL.INSTANCES must be a non-empty list/],
      [{ SENTINEL: { INSTANCES: [['h']] } }, /SENTINEL.INSTANCES\[0\] must be a \[host, port\] pair/],
      [{ SENTINEL: { SOCKET_TIMEOUT: 'soon' } }, /SENTINEL.SOCKET_TIMEOUT must be a positive number/],
      [{ SENTINEL: { CONNECTION_KWARGS: { retry_on_timeout: true } } }, /CONNECTION_KWARGS.retry_on_timeout is a redis-py option/],
      [{ SENTINEL: { SENTINEL_KWARGS: { connectTimeout: 500 } } }, /SENTINEL_KWARGS.connectTimeout would not apply to the sentinels/],
      [{ REDIS_SSL: true, REDIS_SSL_CERT_REQS: 'optional' }, /REDIS_SSL_CERT_REQS/],
    ];
    for (const [settings, message] of bad) {
      assert.throws(() => redisOptionsFromSettings(settings), (error: Error) => error instanceof ConfigurationError && message.test(error.message), JSON.stringify(settings));
    }
  });

  test('DURABLE: { REPLICAS, TIMEOUT } gives the durable option of a Queue or Worker; false or no is off', () => {
    const cases: Array<[unknown, unknown]> = [
      [undefined, undefined],
      [null, undefined],
      [false, undefined],
      ['no', undefined],
      [{ REPLICAS: 2 }, { replicas: 2 }],
      [{ REPLICAS: '2', TIMEOUT: '0.5' }, { replicas: 2, timeout: 0.5 }],
      [{ REPLICAS: 1, TIMEOUT: 3 }, { replicas: 1, timeout: 3 }],
    ];
    for (const [DURABLE, expected] of cases) assert.deepEqual(durableFromSettings({ DURABLE } as never), expected, JSON.stringify(DURABLE));
    const bad: Array<[unknown, RegExp]> = [
      ['maybe', /DURABLE is a boolean/],
      [true, /DURABLE needs REPLICAS, the number of replicas of the primary: DURABLE = \{ REPLICAS: 2 \}/],
      ['True', /DURABLE needs REPLICAS/],
      [{ TIMEOUT: 3 }, /DURABLE needs REPLICAS/],
      [{ REPLICAS: 0 }, /DURABLE\.REPLICAS must be at least 1/],
      [{ REPLICAS: 'two' }, /DURABLE\.REPLICAS must be a whole number/],
      [{ REPLICAS: 1, TIMEOUT: 0 }, /DURABLE\.TIMEOUT must be a positive number of seconds/],
      [{ REPLICA: 1 }, /DURABLE has unknown key\(s\) REPLICA: use REPLICAS and TIMEOUT/],
    ];
    for (const [DURABLE, message] of bad) {
      assert.throws(() => durableFromSettings({ DURABLE } as never), (error: Error) => error instanceof ConfigurationError && message.test(error.message), JSON.stringify(DURABLE));
    }
  });
});

describe('config files and precedence', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rqts-settings-'));
    writeFileSync(join(dir, 'settings.mjs'), "export const REDIS_URL = 'redis://from-mjs:1/0';\nexport const QUEUES = ['high', 'low'];\nexport const lowercase = 'ignored';\n");
    writeFileSync(join(dir, 'default-export.js'), "export default { REDIS_HOST: 'from-default', REDIS_PORT: 2 };\n");
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ REDIS_HOST: 'from-json', REDIS_DB: 3 }));
    writeFileSync(join(dir, 'settings.ts'), "export const REDIS_HOST: string = 'from-ts';\n");
    writeFileSync(join(dir, 'broken.mjs'), 'export const REDIS_URL = ;\n');
    mkdirSync(join(dir, 'myapp'));
    writeFileSync(join(dir, 'myapp', 'config.mjs'), "export const REDIS_HOST = 'from-module-name';\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a .mjs file: its UPPERCASE exports only', async () => {
    assert.deepEqual(await loadSettings({ config: join(dir, 'settings.mjs'), env: {} }), { REDIS_URL: 'redis://from-mjs:1/0', QUEUES: ['high', 'low'] });
  });

  test('a .js file with a default export, and a .json file', async () => {
    assert.deepEqual(await loadSettings({ config: join(dir, 'default-export.js'), env: {} }), { REDIS_HOST: 'from-default', REDIS_PORT: 2 });
    assert.deepEqual(await loadSettings({ config: join(dir, 'settings.json'), env: {} }), { REDIS_HOST: 'from-json', REDIS_DB: 3 });
  });

  test('a module name as RQ takes it (`-c myapp.config`), looked up in the paths', async () => {
    assert.deepEqual(await loadSettings({ config: 'myapp.config', paths: [dir], env: {} }), { REDIS_HOST: 'from-module-name' });
  });

  test('a .ts file loads where a TypeScript loader is present, else says how to get one', async () => {
    try {
      const settings = await loadSettings({ config: join(dir, 'settings.ts'), env: {} });
      assert.deepEqual(settings, { REDIS_HOST: 'from-ts' }); // Node with type stripping or a loader
    } catch (error) {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /TypeScript loader/);
      assert.match(error.message, /--import tsx/);
    }
  });

  test('a missing or broken config file is a ConfigurationError naming the file', async () => {
    await assert.rejects(loadSettings({ config: join(dir, 'nope.mjs'), env: {} }), /Config file '.*nope\.mjs' not found/);
    await assert.rejects(loadSettings({ config: join(dir, 'broken.mjs'), env: {} }), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /broken\.mjs did not load/);
      return true;
    });
  });

  test('precedence: url, then RQ_REDIS_URL, then the config file (RQ_CONFIG), then the environment', async () => {
    const env = { RQ_REDIS_URL: 'redis://from-env-url:1', RQ_CONFIG: join(dir, 'settings.json'), REDIS_HOST: 'from-env' };
    assert.equal((await loadSettings({ url: 'redis://from-flag:1', env })).REDIS_URL, 'redis://from-flag:1');
    assert.equal((await loadSettings({ env })).REDIS_URL, 'redis://from-env-url:1');
    // The URL still comes with the config file's other settings, as RQ's worker reads QUEUES from it.
    assert.deepEqual(await loadSettings({ url: 'redis://x:1', config: join(dir, 'settings.mjs'), env: {} }), {
      REDIS_URL: 'redis://x:1',
      QUEUES: ['high', 'low'],
    });
    const fromConfig = await loadSettings({ env: { RQ_CONFIG: join(dir, 'settings.json'), REDIS_HOST: 'from-env' } });
    assert.deepEqual(fromConfig, { REDIS_HOST: 'from-json', REDIS_DB: 3 }); // env REDIS_* ignored with a config file, as in RQ
    assert.deepEqual(await loadSettings({ env: { REDIS_HOST: 'from-env', REDIS_PORT: '1', PATH: '/bin' } }), { REDIS_HOST: 'from-env', REDIS_PORT: '1' });
    assert.deepEqual(await loadSettings({ url: '', config: '', env: { REDIS_HOST: 'h' } }), { REDIS_HOST: 'h' }); // empty means unset
  });
});

describe('connecting for real', () => {
  let server: RedisProcess;
  let unixServer: RedisProcess;
  let socketDir: string;
  let admin: Redis;
  before(async () => {
    socketDir = mkdtempSync(join(tmpdir(), 'rqts-sock-'));
    server = await startRedis({ password: 'hunter2-pw' });
    unixServer = await startRedis({ args: ['--unixsocket', join(socketDir, 'redis.sock'), '--unixsocketperm', '700'] });
    admin = adminClient(server, 'hunter2-pw');
    await admin.acl('SETUSER', 'alice', 'on', '>alice-pw', '~*', '&*', '+@all');
  });
  after(async () => {
    admin.disconnect();
    await Promise.all([server.stop(), unixServer.stop()]);
    rmSync(socketDir, { recursive: true, force: true });
  });

  test('a URL with password and db: the job lands in that db', async () => {
    const connection = await openConnection(`redis://:hunter2-pw@127.0.0.1:${server.port}/5`);
    try {
      await new Queue('default', { connection }).enqueue('tasks.add', 1, 2);
      await admin.select(5);
      assert.equal(await admin.llen('rq:queue:default'), 1);
    } finally {
      await admin.select(0);
      connection.disconnect();
    }
  });

  test('a username and password (Redis 6 ACL), from REDIS_* settings', async () => {
    const connection = connectionFromSettings({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(server.port), REDIS_USERNAME: 'alice', REDIS_PASSWORD: 'alice-pw' });
    try {
      assert.equal(await connection.call('ACL', 'WHOAMI'), 'alice');
    } finally {
      connection.disconnect();
    }
  });

  test('a unix:// socket URL', async () => {
    const connection = await openConnection(`unix://${join(socketDir, 'redis.sock')}?db=1`);
    try {
      await connection.set('k', 'v');
      const direct = adminClient(unixServer);
      await direct.select(1);
      assert.equal(await direct.get('k'), 'v');
      direct.disconnect();
    } finally {
      connection.disconnect();
    }
  });

  test('an unreachable Redis fails within the timeout, naming the address without the password', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(openConnection(`redis://:topsecret@127.0.0.1:${port}/0`, { timeout: 1 }), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, new RegExp(`Cannot connect to Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0`));
      assert.match(error.message, /ECONNREFUSED/);
      assert.doesNotMatch(inspect(error), /topsecret/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'openConnection hung past its timeout');
  });

  test('a wrong password fails clearly, and the error never shows it', async () => {
    await assert.rejects(openConnection(`redis://:wrong-pw-123@127.0.0.1:${server.port}`, { timeout: 2 }), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /WRONGPASS|invalid password|NOAUTH/i);
      assert.match(error.message, /Check the username and password/);
      assert.doesNotMatch(error.message, /\.\./);
      assert.doesNotMatch(inspect(error, { depth: 10 }), /wrong-pw-123/);
      return true;
    });
  });
});

describe('TLS, for real', () => {
  let tlsDir: string;
  let server: RedisProcess;
  let files: TlsFiles;
  before(async () => {
    tlsDir = mkdtempSync(join(tmpdir(), 'rqts-tls-'));
    files = makeTlsFiles(tlsDir);
    server = await startRedis({ tls: files });
  });
  after(async () => {
    await server.stop();
    rmSync(tlsDir, { recursive: true, force: true });
  });

  async function roundTrip(connection: RedisConnection): Promise<void> {
    try {
      await new Queue('tls', { connection }).enqueue('tasks.secure');
      assert.equal(await connection.llen('rq:queue:tls'), 1);
      await connection.del('rq:queue:tls');
    } finally {
      connection.disconnect();
    }
  }

  test('rediss:// with ssl_ca_certs, and REDIS_SSL with REDIS_SSL_CA_CERTS or REDIS_SSL_CA_DATA', async () => {
    await roundTrip(await openConnection(`rediss://127.0.0.1:${server.port}/0?ssl_ca_certs=${encodeURIComponent(files.ca)}`));
    await roundTrip(await openConnection({ REDIS_HOST: '127.0.0.1', REDIS_PORT: server.port, REDIS_SSL: 'true', REDIS_SSL_CA_CERTS: files.ca }));
    await roundTrip(await openConnection({ REDIS_HOST: '127.0.0.1', REDIS_PORT: server.port, REDIS_SSL: true, REDIS_SSL_CA_DATA: readFileSync(files.ca, 'utf8') }));
  });

  test('a certificate that is not trusted fails clearly, unless REDIS_SSL_CERT_REQS is none', async () => {
    await assert.rejects(openConnection(`rediss://127.0.0.1:${server.port}`, { timeout: 3 }), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /Cannot connect to Redis at rediss:\/\/127\.0\.0\.1/);
      assert.match(error.message, /certificate/i);
      return true;
    });
    await roundTrip(await openConnection({ REDIS_HOST: '127.0.0.1', REDIS_PORT: server.port, REDIS_SSL: 'yes', REDIS_SSL_CERT_REQS: 'none' }));
  });
});
