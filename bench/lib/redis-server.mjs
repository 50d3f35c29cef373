/**
 * The benchmark's own redis-server: started on a free loopback port (never 6379), without
 * persistence (`--save '' --appendonly no`), in a temporary directory, and stopped at the end of
 * the run, also when the run fails or is interrupted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long a starting redis-server may take to answer, in ms. */
const START_TIMEOUT_MS = 10_000;

/** A TCP port free on 127.0.0.1 right now (never 6379). */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(address.port));
      });
    });
    if (port !== 6379) return port;
  }
}

/** Fails with what to install when redis-server is missing. */
function requireRedisServer() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('redis-server is not installed: the benchmark starts its own. On Debian or Ubuntu: apt-get install -y redis-server');
  }
}

/**
 * Starts a redis-server and resolves once it accepts connections. `args` are extra settings
 * (`--cluster-enabled yes` for a cluster node); its files go to its own temporary directory.
 * @param {{ connect: (port: number) => import('ioredis').Redis, args?: string[] }} options
 * @returns {Promise<{ host: string, port: number, url: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startRedisServer({ connect, args = [] }) {
  requireRedisServer();
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, connect, args);
    } catch (error) {
      lastError = error; // most likely another process took the port between probe and bind
    }
  }
  throw new Error(`Could not start redis-server: ${lastError.message}`);
}

async function launch(port, connect, extraArgs) {
  const dir = mkdtempSync(join(tmpdir(), 'rq-ts-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no', ...extraArgs];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stopNow = () => child.kill('SIGKILL');
  process.on('exit', stopNow); // the last resort: an uncaught error or process.exit()
  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(stopNow, 5000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', stopNow);
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await waitUntilUp(port, connect, exited, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, pid: child.pid, stop };
}

async function waitUntilUp(port, connect, exited, output) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`redis-server on port ${port} exited: ${output().trim().split('\n').slice(-3).join(' | ')}`);
    const client = connect(port);
    try {
      await client.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server on port ${port} did not answer within ${START_TIMEOUT_MS} ms`);
}
