import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import {
  ConnectionStackEmptyError,
  NoRedisConnectionError,
  Queue,
  getCurrentConnection,
  popConnection,
  pushConnection,
  useConnection,
  withConnection,
  type RedisConnection,
} from '../src/index.js';
import { resetConnectionState } from '../src/connection.js';
import { adminClient, sleep, startRedis, type RedisProcess } from './harness/index.js';

// Two real servers, so that "which connection" is observable as "which server got the job".
let serverA: RedisProcess;
let serverB: RedisProcess;
let adminA: Redis;
let adminB: Redis;
const clients: Redis[] = [];

function connect(server: RedisProcess): Redis {
  const client = new Redis(server.url);
  clients.push(client);
  return client;
}

before(async () => {
  [serverA, serverB] = await Promise.all([startRedis(), startRedis()]);
  adminA = adminClient(serverA);
  adminB = adminClient(serverB);
});

after(async () => {
  for (const client of clients) client.disconnect();
  adminA.disconnect();
  adminB.disconnect();
  await Promise.all([serverA.stop(), serverB.stop()]);
});

afterEach(async () => {
  // No test may leave a connection on the stack for the next one.
  assert.equal(getCurrentConnection(), undefined);
  await adminA.flushall();
  await adminB.flushall();
});

describe('explicit connection', () => {
  test('the connection option always wins over the connection stack', async () => {
    const a = connect(serverA);
    const b = connect(serverB);
    await withConnection(a, async () => {
      const q = new Queue('default', { connection: b });
      assert.equal(q.connection, b);
      await q.enqueue('tasks.add', 1, 2);
    });
    assert.equal(await adminB.llen('rq:queue:default'), 1);
    assert.equal(await adminA.llen('rq:queue:default'), 0);
  });

  test('a client with keyPrefix is refused with a clear error', () => {
    const prefixed = new Redis({ port: serverA.port, keyPrefix: 'app:', lazyConnect: true });
    clients.push(prefixed);
    assert.throws(() => new Queue('q', { connection: prefixed }), /keyPrefix 'app:'.*cannot use/);
  });

  test('without a connection anywhere, construction throws NoRedisConnectionError saying how to pass one', () => {
    assert.throws(() => new Queue('emails'), (error: unknown) => {
      assert.ok(error instanceof NoRedisConnectionError);
      assert.match(error.message, /Queue 'emails'/);
      assert.match(error.message, /connection/);
      assert.match(error.message, /withConnection/);
      return true;
    });
  });
});

describe('withConnection', () => {
  test('nested contexts: q1 and q3 share the outer connection, q2 has the inner one', async () => {
    const outer = connect(serverA);
    const inner = connect(serverB);
    let q1!: Queue, q2!: Queue, q3!: Queue;
    await withConnection(outer, async () => {
      q1 = new Queue('foo');
      await withConnection(inner, async () => {
        q2 = new Queue('bar');
      });
      q3 = new Queue('qux');
    });
    assert.notEqual(q1.connection, q2.connection);
    assert.notEqual(q2.connection, q3.connection);
    assert.equal(q1.connection, q3.connection);
    assert.equal(q1.connection, outer);
    assert.equal(q2.connection, inner);
  });

  test('an object keeps its connection after the context that created it has ended', async () => {
    const outer = connect(serverA);
    const inner = connect(serverB);
    let q2!: Queue;
    await withConnection(outer, async () => {
      await withConnection(inner, async () => {
        q2 = new Queue('bar');
      });
      // The inner context is closed: the current connection is the outer one again...
      assert.equal(getCurrentConnection(), outer);
      // ...but q2 still enqueues on the server it was created with.
      await q2.enqueue('tasks.add', 1, 2);
    });
    await q2.enqueue('tasks.add', 3, 4);
    assert.equal(await adminB.llen('rq:queue:bar'), 2);
    assert.equal(await adminA.llen('rq:queue:bar'), 0);
  });

  test('returns what the function returns, and restores the stack when it throws', async () => {
    const a = connect(serverA);
    assert.equal(await withConnection(a, async () => 42), 42);
    assert.equal(withConnection(a, () => 'sync'), 'sync');
    await assert.rejects(withConnection(a, async () => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(getCurrentConnection(), undefined);
  });

  test('concurrent tasks, each in its own context, never see each other\'s connection across awaits', async () => {
    const a = connect(serverA);
    const b = connect(serverB);
    const seen: Array<[string, RedisConnection | undefined]> = [];
    const task = (name: string, connection: RedisConnection, delays: number[]) =>
      withConnection(connection, async () => {
        for (const delay of delays) {
          await sleep(delay);
          seen.push([name, getCurrentConnection()]);
          const q = new Queue(`q-${name}`);
          await q.enqueue('tasks.mark', name);
        }
      });
    // Interleaved: A and B alternate at every step.
    await Promise.all([task('A', a, [1, 10, 1, 10]), task('B', b, [5, 1, 10, 1])]);
    assert.equal(seen.length, 8);
    for (const [name, connection] of seen) assert.equal(connection, name === 'A' ? a : b, `task ${name} saw another task's connection`);
    assert.equal(await adminA.llen('rq:queue:q-A'), 4);
    assert.equal(await adminB.llen('rq:queue:q-B'), 4);
    assert.equal(await adminA.exists('rq:queue:q-B'), 0);
    assert.equal(await adminB.exists('rq:queue:q-A'), 0);
  });

  test('a push inside one context does not leak into a concurrent one', async () => {
    const a = connect(serverA);
    const b = connect(serverB);
    let seenByOther: RedisConnection | undefined;
    await Promise.all([
      withConnection(a, async () => {
        pushConnection(b);
        await sleep(20);
        popConnection();
      }),
      withConnection(a, async () => {
        await sleep(10);
        seenByOther = getCurrentConnection();
      }),
    ]);
    assert.equal(seenByOther, a);
  });
});

describe('pushConnection / popConnection', () => {
  test('push then pop, as in a test setUp and tearDown', () => {
    const a = connect(serverA);
    pushConnection(a);
    assert.equal(new Queue().connection, a);
    assert.equal(popConnection(), a);
    assert.equal(getCurrentConnection(), undefined);
  });

  test('`using` pops the pushed connection at the end of the block', () => {
    const a = connect(serverA);
    const b = connect(serverB);
    {
      using _outer = pushConnection(a);
      {
        using pushed = pushConnection(b);
        assert.equal(pushed.connection, b);
        assert.equal(getCurrentConnection(), b);
      }
      assert.equal(getCurrentConnection(), a);
    }
    assert.equal(getCurrentConnection(), undefined);
  });

  test('popping an empty stack is a clear error', () => {
    assert.throws(() => popConnection(), (error: unknown) => {
      assert.ok(error instanceof ConnectionStackEmptyError);
      assert.match(error.message, /stack is empty/);
      return true;
    });
  });

  test('disposing out of order is refused, leaving the stack as it was', () => {
    const a = connect(serverA);
    const b = connect(serverB);
    const first = pushConnection(a);
    pushConnection(b);
    assert.throws(() => first[Symbol.dispose](), /reverse order/);
    assert.equal(popConnection(), b);
    assert.equal(popConnection(), a);
  });
});

describe('useConnection (deprecated)', () => {
  test('sets the process-wide default, warns once per process naming the replacement', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const a = connect(serverA);
      const b = connect(serverB);
      useConnection(a);
      assert.equal(new Queue().connection, a);
      // The stack still wins over the default.
      withConnection(b, () => assert.equal(new Queue().connection, b));
      useConnection(b);
      assert.equal(getCurrentConnection(), b);
      // Without an argument: a lazy client for localhost:6379 (not connected by this test).
      const local = useConnection();
      assert.ok(local instanceof Redis);
      assert.equal(local.options.host, 'localhost');
      assert.equal(local.options.port, 6379);
      assert.equal(local.status, 'wait');
      local.disconnect();
      await sleep(10); // warnings are emitted on the next tick
      const deprecations = warnings.filter((w) => w.name === 'DeprecationWarning' && /useConnection/.test(w.message));
      assert.equal(deprecations.length, 1);
      assert.match(deprecations[0]!.message, /withConnection/);
    } finally {
      process.off('warning', onWarning);
      resetConnectionState(); // useConnection has no "unset", nor has RQ's
    }
  });
});

