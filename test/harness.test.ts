import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { startCluster, startRedis } from './harness/index.js';

const HARNESS = resolve(import.meta.dirname, 'harness', 'index.js');

/** Whether `pid` runs: a zombie (killed, not yet reaped by its new parent) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('startRedis serves on a free loopback port, never 6379, and stop() ends the process', async () => {
  const server = await startRedis();
  assert.notEqual(server.port, 6379);
  assert.equal(server.host, '127.0.0.1');
  const client = new Redis(server.url);
  assert.equal(await client.ping(), 'PONG');
  assert.equal(((await client.config('GET', 'bind')) as string[])[1], '127.0.0.1');
  assert.equal(((await client.config('GET', 'save')) as string[])[1], '');
  client.disconnect();
  await server.stop();
  assert.equal(isAlive(server.pid), false);
});

test('servers started by a test process die with it, even when it crashes', () => {
  // A child test process starts two servers, prints their pids, then throws.
  const script = `
    import { startRedis } from ${JSON.stringify(HARNESS)};
    const servers = await Promise.all([startRedis(), startRedis()]);
    console.log(servers.map((s) => s.pid).join(','));
    throw new Error('the test crashed');
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /the test crashed/);
  const pids = result.stdout.trim().split(',').map(Number);
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.equal(isAlive(pid), false, `redis-server ${pid} outlived the test process`);
});

test('without redis-server installed, the harness fails at once saying what to install', () => {
  const script = `
    import { startRedis } from ${JSON.stringify(HARNESS)};
    try { await startRedis(); } catch (error) { console.log(error.message); }
  `;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: join(import.meta.dirname, 'no-such-dir') },
    timeout: 30_000,
  });
  assert.match(result.stdout, /redis-server is not installed.*apt-get install -y redis-server/);
  assert.ok(Date.now() - started < 10_000);
});

test('startCluster: 3 masters and 3 replicas on loopback ports, every slot served, a Cluster client reaches all three, stop() ends every node', async () => {
  const cluster = await startCluster();
  try {
    assert.equal(cluster.nodes.length, 6);
    for (const node of cluster.nodes) assert.notEqual(node.port, 6379);
    const masters = await cluster.masters();
    assert.equal(masters.length, 3);
    const client = cluster.connect();
    // Keys tagged {a}, {b}, {c} hash to slots 15495, 3300 and 7365: one on each master.
    for (const tag of ['a', 'b', 'c']) await client.set(`k{${tag}}`, tag);
    const owners = new Set(await Promise.all([15495, 3300, 7365].map(async (slot) => (await cluster.masterOf(slot)).port)));
    assert.equal(owners.size, 3);
    assert.deepEqual(await Promise.all(['a', 'b', 'c'].map((tag) => client.get(`k{${tag}}`))), ['a', 'b', 'c']);
  } finally {
    await cluster.stop();
  }
  for (const node of cluster.nodes) assert.equal(isAlive(node.pid), false, `node ${node.port} still runs`);
});
