/**
 * What the numbers were measured on: CPU, cores, memory, kernel, Node, Redis, and the versions of
 * every system benchmarked.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { PYTHON } from './processes.mjs';

const root = new URL('../../', import.meta.url);

function readJson(url) {
  try {
    return JSON.parse(readFileSync(url, 'utf8'));
  } catch {
    return undefined;
  }
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((text) => text.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return cpus()[0]?.model ?? 'unknown';
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function pythonVersions() {
  try {
    const out = execFileSync(PYTHON, ['-c', 'import sys, rq, redis; print(sys.version.split()[0], rq.__version__, redis.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [python, rq, redisPy] = out.trim().split(' ');
    return { python, rq, redisPy };
  } catch {
    return undefined;
  }
}

/** The machine and software of this run. `redisInfo` is INFO server's text. */
export function describeMachine(redisInfo) {
  const redisVersion = /redis_version:(\S+)/.exec(redisInfo)?.[1];
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'src']) ? ' (with uncommitted changes in src/)' : '';
  const bench = (name) => readJson(new URL(`bench/node_modules/${name}/package.json`, root))?.version;
  const python = pythonVersions();
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    redis: redisVersion,
    packages: {
      'rq-ts': `${readJson(new URL('package.json', root))?.version}${commit ? ` at ${commit}${dirty}` : ''}`,
      ioredis: readJson(new URL('node_modules/ioredis/package.json', root))?.version,
      bullmq: bench('bullmq'),
      'bee-queue': bench('bee-queue'),
      'redis (node, Bee-Queue)': bench('redis'),
      ...(python && { 'rq (Python)': python.rq, 'redis-py': python.redisPy, python: python.python }),
    },
  };
}
