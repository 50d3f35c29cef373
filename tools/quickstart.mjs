// `npm run quickstart`: installs and builds rq-ts if needed, finds a Redis (REDIS_URL or
// RQ_REDIS_URL, else localhost:6379, else a redis-server of its own when one is installed),
// enqueues two jobs, runs a real `rq worker --burst` on them, and prints their results.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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

let url = process.env.RQ_REDIS_URL || process.env.REDIS_URL;
let ownServer;
if (url) {
  if (!(await reachable(url))) {
    console.error(`No Redis answers at ${maskUrl(url)} (from RQ_REDIS_URL / REDIS_URL). Start it, or unset the variable.`);
    process.exit(1);
  }
} else if (await reachable('redis://127.0.0.1:6379')) {
  url = 'redis://127.0.0.1:6379';
} else if (spawnSync('redis-server', ['--version']).status === 0) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rq-ts-quickstart-'));
  console.log(`==> No Redis on localhost:6379: starting redis-server on 127.0.0.1:${port} for this run`);
  ownServer = { process: spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }), dir };
  url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await reachable(url)); i++) await new Promise((r) => setTimeout(r, 100));
} else {
  console.error(`No Redis server is reachable on localhost:6379, and redis-server is not installed. Get one:
  Debian/Ubuntu:  sudo apt-get install -y redis-server
  macOS:          brew install redis && brew services start redis
  Docker:         docker run -d -p 6379:6379 redis:7
or point rq-ts at yours: REDIS_URL=redis://host:6379/0 npm run quickstart`);
  process.exit(1);
}

try {
  console.log(`==> Using Redis at ${maskUrl(url)}`);
  const connection = await openConnection(url);
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
  console.log(`==> Look at them with redis-cli: HGETALL rq:job:${count.id}, ZRANGE rq:finished:quickstart 0 -1, XRANGE rq:results:${count.id} - +`);
  await connection.quit();
} finally {
  if (ownServer) {
    ownServer.process.kill('SIGKILL');
    rmSync(ownServer.dir, { recursive: true, force: true });
  }
}
