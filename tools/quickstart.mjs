// `npm run quickstart`: installs and builds rq-ts if needed, finds a Redis, enqueues two jobs, runs a
// real `rq worker --burst` on them, and prints their results. The Redis: the one REDIS_URL (or
// RQ_REDIS_URL) names; else a throw-away redis-server of its own when one is installed, left
// running afterwards so that the redis-cli lines it prints work (and reused by the next run);
// else localhost:6379, said before anything is written there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function newestMtime(dir) {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
  }));
}

if (!existsSync('node_modules/ioredis')) {
  console.log('==> Installing dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
if (!existsSync('dist/cli/index.js') || statSync('dist/cli/index.js').mtimeMs < newestMtime('src')) {
  console.log('==> Building rq-ts (npm run build)');
  run('npm', ['run', 'build', '--silent']);
}

const { Queue, openConnection, maskUrl } = await import('../dist/index.js');

async function reachable(url) {
  try {
    const connection = await openConnection(url, { timeout: 1 });
    await connection.quit();
    return true;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Where the throw-away redis-server keeps its pid and port between runs. */
const ownDir = join(tmpdir(), 'rq-ts-quickstart');
const ownPortFile = join(ownDir, 'port');

/** Starts a throw-away redis-server on a free loopback port, or finds the one an earlier run left; resolves to its port. */
async function ownRedis() {
  const earlier = existsSync(ownPortFile) ? Number(readFileSync(ownPortFile, 'utf8')) : undefined;
  if (earlier && (await reachable(`redis://127.0.0.1:${earlier}`))) {
    console.log(`==> Using the throw-away redis-server an earlier run started, on 127.0.0.1:${earlier}`);
    return earlier;
  }
  const port = await freePort();
  mkdirSync(ownDir, { recursive: true });
  console.log(`==> REDIS_URL is not set: starting a throw-away redis-server on 127.0.0.1:${port} (nothing saved to disk)`);
  const started = spawnSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', ownDir, '--daemonize', 'yes', '--pidfile', join(ownDir, 'redis.pid'), '--logfile', join(ownDir, 'redis.log')], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`redis-server did not start: ${started.stderr || started.stdout}`);
  for (let i = 0; i < 50 && !(await reachable(`redis://127.0.0.1:${port}`)); i++) await new Promise((r) => setTimeout(r, 100));
  writeFileSync(ownPortFile, String(port));
  return port;
}

let url = process.env.RQ_REDIS_URL || process.env.REDIS_URL;
let ownPort;
if (url) {
  if (!(await reachable(url))) {
    console.error(`No Redis answers at ${maskUrl(url)} (from RQ_REDIS_URL / REDIS_URL). Start it, or unset the variable.`);
    process.exit(1);
  }
  console.log(`==> Using the Redis that REDIS_URL names: ${maskUrl(url)}`);
} else if (spawnSync('redis-server', ['--version']).status === 0) {
  ownPort = await ownRedis();
  url = `redis://127.0.0.1:${ownPort}`;
} else if (await reachable('redis://127.0.0.1:6379')) {
  url = 'redis://127.0.0.1:6379';
  console.log("==> redis-server is not installed here, so using the Redis on localhost:6379: the jobs go to its queue 'quickstart'");
} else {
  console.error(`redis-server is not installed, and no Redis answers on localhost:6379. Get one:
  Debian/Ubuntu:  sudo apt-get install -y redis-server
  macOS:          brew install redis
  Docker:         docker run -d -p 6379:6379 redis:7
or point rq-ts at yours: REDIS_URL=redis://host:6379/0 npm run quickstart`);
  process.exit(1);
}

const connection = await openConnection(url);
try {
  const queue = new Queue('quickstart', { connection });
  const count = await queue.enqueue('tasks.countWords', 'The quick brown fox jumps over the lazy dog');
  const greet = await queue.enqueueCall('tasks.greet', { args: ['Ada'], kwargs: { greeting: 'Welcome' } });
  console.log(`==> Enqueued ${count.id} (${count.description}) and ${greet.id} (${greet.description}) on queue 'quickstart'`);

  console.log(`==> Running: rq worker --burst --url ${maskUrl(url)} --path examples/quickstart quickstart`);
  const worker = spawnSync(process.execPath, ['dist/cli/index.js', 'worker', '--burst', '--url', url, '--path', 'examples/quickstart', 'quickstart'], { stdio: 'inherit' });
  if (worker.status !== 0) throw new Error(`the worker exited with code ${worker.status}`);

  for (const job of [count, greet]) {
    console.log(`==> ${job.description} -> ${await job.getStatus()}, returned ${JSON.stringify(await job.returnValue())}`);
  }
  const cli = ownPort ? `redis-cli -p ${ownPort}` : url === 'redis://127.0.0.1:6379' ? 'redis-cli' : `redis-cli -u ${maskUrl(url)}`;
  console.log(`==> Every state is plain Redis; look with redis-cli:
      ${cli} HGETALL rq:job:${count.id}
      ${cli} ZRANGE rq:finished:quickstart 0 -1
      ${cli} XRANGE rq:results:${count.id} - +`);
  if (ownPort) console.log(`==> The throw-away redis-server keeps running for that (the next run reuses it). Stop it with: ${cli} shutdown nosave`);
} finally {
  await connection.quit();
}
