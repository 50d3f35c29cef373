/**
 * rq-ts installed as a user installs it. `npm pack` runs on a copy of the sources without dist/
 * (so `prepare` has to build it, as in a fresh clone); the tarball goes into a temporary project
 * with ioredis 5, as README's Install section says. From there: the installed `rq` bin, a job
 * enqueued by the installed library and run by `rq worker --burst`, `require()` from a .cjs file,
 * and TypeScript projects set up as README documents, compiled with the repository's TypeScript
 * and run on this Node against a real redis-server. One pack and one install for the whole file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, beforeEach, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Job } from '../src/index.js';
import { ROOT, useRedis, useTempDir } from './harness/index.js';

/** What `npm pack` needs to build and pack rq-ts: everything else stays out of the copy. */
const SOURCES = ['package.json', 'tsconfig.json', 'README.md', 'LICENSE', 'src', 'tools'];
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` in `cwd` to its end (3 min at most). The environment is this one without npm's
 * variables (an outer `npm test` sets npm_config_local_prefix and others, which would point the
 * inner npm at the repository) and without the test runner's mark, plus `env`.
 */
function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const inherited = Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE_TEST_CONTEXT');
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...Object.fromEntries(inherited), ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** {@link run}, failing the test or hook unless the command exits with 0. */
function mustRun(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const result = run(command, args, cwd, env);
  assert.equal(result.code, 0, `${command} ${args.join(' ')} in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The first fenced block of `lang` in README.md after the line `heading`. */
function readmeBlock(heading: string, lang: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(`\n${heading}\n`)[1];
  assert.ok(section, `README.md has no heading "${heading}"`);
  const block = section.split(`\n\`\`\`${lang}\n`)[1]?.split('\n```\n')[0];
  assert.ok(block, `README.md has no ${lang} block under "${heading}"`);
  return block;
}

/** `text` with `from` replaced by `to`, failing when `from` is not in it. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `expected ${JSON.stringify(from)} in:\n${text}`);
  return text.replace(from, to);
}

const redis = useRedis();
const dir = useTempDir('rqts-package-');
let tarball: string;
let app: string;
let connection: Redis;

before(() => {
  const source = join(dir(), 'source');
  for (const name of SOURCES) cpSync(join(ROOT, name), join(source, name), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  mustRun('npm', ['pack', '--pack-destination', dir()], source);
  tarball = join(dir(), readdirSync(dir()).find((name) => name.endsWith('.tgz'))!);

  app = join(dir(), 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rqts-package-test', private: true, type: 'module' }));
  mustRun('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'ioredis@5', '@types/node@20'], app);
}, { timeout: 300_000 });

beforeEach(() => {
  connection = redis.connect();
});

test('npm pack builds dist/ on prepare and packs the entry points, the rq bin and the Lua scripts, no sources or tests', () => {
  const files = mustRun('tar', ['-tzf', tarball], dir()).stdout.split('\n').filter((line) => line !== '').map((line) => line.replace(/^package\//, ''));
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/dashboard/index.js', 'dist/dashboard/index.d.ts', 'dist/cli/index.js']) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  const scripts = readdirSync(join(ROOT, 'src', 'scripts')).filter((name) => name.endsWith('.lua'));
  assert.ok(scripts.length > 0);
  assert.deepEqual(scripts.filter((name) => !files.includes(`dist/scripts/${name}`)), [], 'Lua scripts missing from the tarball');
  assert.deepEqual(files.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(file)), []);
});

test('`npx rq --version` in the project runs the installed bin and prints the package version', () => {
  const bin = realpathSync(join(app, 'node_modules', '.bin', 'rq'));
  assert.equal(bin, realpathSync(join(app, 'node_modules', 'rq-ts', 'dist', 'cli', 'index.js')));
  const result = mustRun('npx', ['--no-install', 'rq', '--version'], app);
  assert.equal(result.stdout.trim(), VERSION);
});

test('a job enqueued with the installed rq-ts runs in `rq worker --burst` started from its bin', async () => {
  writeFileSync(join(app, 'tasks.js'), 'export function add(a, b) {\n  return a + b;\n}\n');
  writeFileSync(
    join(app, 'enqueue.js'),
    `import { Redis } from 'ioredis';
import { Queue } from 'rq-ts';

const connection = new Redis(process.argv[2]);
const job = await new Queue('default', { connection }).enqueue('tasks.add', 2, 3);
console.log(job.id);
await connection.quit();
`,
  );
  const id = mustRun(process.execPath, ['enqueue.js', redis.server.url], app).stdout.trim();
  const worker = mustRun('npx', ['--no-install', 'rq', 'worker', '--burst', '-u', redis.server.url, 'default'], app);
  assert.match(worker.stdout, new RegExp(`default: Job OK \\(${id}\\)`));
  const job = await Job.fetch(id, { connection });
  assert.equal(await job.getStatus(), 'finished');
  assert.equal(await job.returnValue(), 5);
});

const REQUIRE_CJS = `const { Redis } = require('ioredis');
const { Queue } = require('rq-ts');
const { createDashboard } = require('rq-ts/dashboard');

async function main() {
  const connection = new Redis(process.argv[2]);
  const job = await new Queue('from-cjs', { connection }).enqueue('tasks.add', 1, 1);
  console.log(job.id, typeof createDashboard);
  await connection.quit();
}
main();
`;

test("require('rq-ts') and require('rq-ts/dashboard') work from a .cjs file", async () => {
  writeFileSync(join(app, 'require.cjs'), REQUIRE_CJS);
  const result = mustRun(process.execPath, ['require.cjs', redis.server.url], app);
  const [id, dashboard] = result.stdout.trim().split(' ');
  assert.equal(dashboard, 'function');
  assert.deepEqual(await redis.admin.lrange('rq:queue:from-cjs', 0, -1), [id]);
});

test("without require(esm), as on Node before 20.19 and 22.12, require('rq-ts') fails with ERR_REQUIRE_ESM", () => {
  writeFileSync(join(app, 'require.cjs'), REQUIRE_CJS);
  const result = run(process.execPath, ['--no-experimental-require-module', 'require.cjs', redis.server.url], app);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /ERR_REQUIRE_ESM/);
});

test("README's tsconfig.json compiles examples/push-pop-in-tests.ts, `using` included, into code that runs on this Node", () => {
  const project = join(app, 'readme-tsconfig');
  mkdirSync(project);
  const tsconfig = readmeBlock('## Install', 'json');
  writeFileSync(join(project, 'tsconfig.json'), tsconfig);
  const example = readFileSync(join(ROOT, 'examples', 'push-pop-in-tests.ts'), 'utf8');
  writeFileSync(join(project, 'push-pop-in-tests.ts'), edit(example, "from '../src/index.js'", "from 'rq-ts'"));
  mustRun(process.execPath, [TSC, '-p', project], project);

  const { outDir } = (JSON.parse(tsconfig) as { compilerOptions: { outDir?: string } }).compilerOptions;
  const result = run(process.execPath, [join(project, outDir ?? '.', 'push-pop-in-tests.js')], project, { RQ_EXAMPLE_URL_1: redis.server.url });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^ok - `using pushConnection\(\.\.\.\)` pops at the end of its block$/m);
  assert.doesNotMatch(result.stdout, /not ok/);
});

/** Runs `npm init -y` and the repository's `tsc --init` in a new directory `name` of the project. */
function initProject(name: string): { dir: string; tsconfig: string } {
  const project = join(app, name);
  mkdirSync(project);
  mustRun('npm', ['init', '-y'], project);
  mustRun(process.execPath, [TSC, '--init'], project);
  return { dir: project, tsconfig: readFileSync(join(project, 'tsconfig.json'), 'utf8') };
}

/** Compiles `main.ts` (`source`) in `project` and runs the result; returns the job id it prints. */
async function compileAndRun(project: string, source: string): Promise<string> {
  writeFileSync(join(project, 'main.ts'), source);
  mustRun(process.execPath, [TSC, '-p', project], project);
  const result = mustRun(process.execPath, ['main.js'], project, { REDIS_URL: redis.server.url });
  const id = result.stdout.trim();
  assert.deepEqual(await redis.admin.lrange('rq:queue:from-ts', 0, -1), [id]);
  return id;
}

const USING_MAIN = `import { Redis } from 'ioredis';
import { Queue, getCurrentConnection, pushConnection } from 'rq-ts';

const redis = new Redis(process.env['REDIS_URL']!);
{
  using _pushed = pushConnection(redis);
  const job = await new Queue('from-ts').enqueue('tasks.add', 1, 2);
  console.log(job.id);
}
if (getCurrentConnection() !== undefined) throw new Error('using did not pop the connection');
await redis.quit();
`;

test('`npm init -y` + `tsc --init` with README\'s three changes compiles imports, top-level await and `using` that run on this Node', async () => {
  const { dir: project, tsconfig } = initProject('init-esm');
  mustRun('npm', ['pkg', 'set', 'type=module'], project);
  let changed = edit(tsconfig, '"target": "esnext"', '"target": "es2022"');
  changed = edit(changed, '"types": []', '"types": ["node"]');
  writeFileSync(join(project, 'tsconfig.json'), changed);
  await compileAndRun(project, USING_MAIN);
});

test('`npm init -y` + `tsc --init` kept CommonJS as README says (no verbatimModuleSyntax) compiles to require() of rq-ts that runs', async () => {
  const { dir: project, tsconfig } = initProject('init-cjs');
  let changed = edit(tsconfig, '"target": "esnext"', '"target": "es2022"');
  changed = edit(changed, '"types": []', '"types": ["node"]');
  changed = edit(changed, '"verbatimModuleSyntax": true,', '');
  writeFileSync(join(project, 'tsconfig.json'), changed);
  const source = `import { Redis } from 'ioredis';
import { Queue, pushConnection } from 'rq-ts';

async function main(): Promise<void> {
  const redis = new Redis(process.env['REDIS_URL']!);
  try {
    using _pushed = pushConnection(redis);
    const job = await new Queue('from-ts').enqueue('tasks.add', 1, 2);
    console.log(job.id);
  } finally {
    await redis.quit();
  }
}
void main();
`;
  await compileAndRun(project, source);
  assert.match(readFileSync(join(project, 'main.js'), 'utf8'), /require\("rq-ts"\)/);
});
