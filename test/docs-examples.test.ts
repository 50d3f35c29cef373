/**
 * The examples of the user docs (examples/docs/*.ts, for docs/queues.md, jobs.md, workers.md and
 * registries.md), run as a user runs them: each compiled file as a child process against a real
 * redis-server. Checks the exit code, the lines that show what the docs say, and some of the Redis
 * state each example left. Also checks that every example is run here, that the docs' relative
 * links lead somewhere, and that the `rq worker` flags the docs list are the bin's own.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { adminClient, startRedis, type RedisProcess } from './harness/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOCS = ['glossary.md', 'connections.md', 'reliability.md', 'queues.md', 'jobs.md', 'workers.md', 'registries.md', 'cron.md', 'cli.md', 'python-interop.md', 'dashboard.md', 'limits.md', 'cluster.md', 'observability.md'];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs build/examples/docs/<name>.js with `env` added to (and `unset` removed from) this environment. */
function runExample(name: string, env: Record<string, string>, unset: string[] = []): Promise<Outcome> {
  const file = fileURLToPath(new URL(`../examples/docs/${name}.js`, import.meta.url));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // The node:test runner marks its children; an example is a plain script, not a test file.
  delete childEnv['NODE_TEST_CONTEXT'];
  for (const key of unset) delete childEnv[key];
  return new Promise((resolvePromise) => {
    // An example that leaves a connection open never exits: the timeout turns that into a failure.
    execFile(process.execPath, [file], { env: childEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

let server: RedisProcess;
let admin: Redis;
let env: Record<string, string>;

before(async () => {
  server = await startRedis();
  admin = adminClient(server);
  await admin.select(5);
  // Database 5, so that the database number of the URL is seen to be honoured.
  env = { RQ_EXAMPLE_URL_1: `${server.url}/5` };
});

after(async () => {
  admin.disconnect();
  await server.stop();
});

afterEach(async () => {
  await admin.flushall();
});

/** Runs an example against the test server and asserts that it exited with code 0. */
async function run(name: string): Promise<string> {
  const { code, stdout, stderr } = await runExample(name, env);
  assert.equal(code, 0, `${name} exited with code ${code}\n${stdout}\n${stderr}`);
  return stdout;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Every example this file runs, by name; a test below checks that none is left out. */
const EXAMPLES = [
  'queue-basics', 'typed-tasks', 'sync-queue', 'scheduling',
  'job-lifecycle', 'job-progress', 'job-hash',
  'worker-basics', 'worker-concurrency', 'worker-isolated', 'worker-timeouts', 'worker-stop', 'worker-commands',
  'abandoned-jobs', 'retries', 'exception-handlers', 'registries', 'dependencies', 'rate-limits', 'rate-over-time',
];

describe('docs/limits.md example', () => {
  test('rate-limits: two of four jobs queued, two rate_limited; four worker slots run at most two at once', async () => {
    const out = await run('rate-limits');
    assert.match(out, /^statuses: queued, queued, rate_limited, rate_limited$/m);
    assert.match(out, /^holding a slot: 2, waiting: 2, on the queue: 2$/m);
    assert.match(out, /^ran 4 jobs, at most 2 at once; last: report for apr$/m);
  });

  test('rate-over-time: a queue at 3 a second sends 3 at once, the next a second later; a 429 holds its key and fails nothing', async () => {
    const out = await run('rate-over-time');
    assert.match(out, /^statuses: queued, queued, queued, rate_limited, rate_limited, rate_limited$/m);
    assert.match(out, /^rq:rl:mail-api: \{"max":"3","duration":"1000"\}$/m);
    assert.match(out, /^held: eve waits \(rate_limited\), mail-api held for 500 ms$/m);
    assert.match(out, /^the first 3 went on the queue at once; the next a second later$/m);
    assert.match(out, /^eve: sent to eve, after 7 runs for 6 jobs; failed: 0$/m);
  });
});

describe('docs/queues.md examples', () => {
  test('dependencies: deferred across queues and released at the front; a callback; a unique job; a canceled dependency', async () => {
    const out = await run('dependencies');
    assert.match(out, /^report deferred; waits for 2 jobs; in rq:deferred:reports: true$/m);
    assert.match(out, /^second enqueue of report-april: DuplicateJobError$/m);
    assert.match(out, /^canceled c\.csv import; its dependent: deferred$/m);
    assert.match(out, /^after the imports: report queued, reports queue head is the report: true$/m);
    assert.match(out, /^report -> report for march; callback wrote: report for march$/m);
  });

  test('queue-basics: enqueue options land in RQ\'s fields; inspect, remove, empty, delete, Queue.all', async () => {
    const out = await run('queue-basics');
    assert.match(out, new RegExp(`^enqueued ${UUID}: mailer\\.sendWelcome\\('ada@example\\.com', 'Ada'\\), status queued$`, 'm'));
    assert.match(out, /^SMEMBERS rq:queues -> rq:queue:emails$/m);
    assert.match(out, new RegExp(`^LRANGE rq:queue:emails 0 -1 -> reminder-grace ${UUID}$`, 'm'));
    for (const line of ['timeout -> 300', 'result_ttl -> 3600', 'failure_ttl -> 604800', 'ttl -> 3600', 'meta -> {"tenant":"acme"}', 'description -> reminder to Grace']) {
      assert.ok(out.includes(`HGET rq:job:reminder-grace ${line}\n`), line);
    }
    assert.match(out, /^TTL rq:job:reminder-grace -> about 3600$/m);
    assert.match(out, /^fetchJob\('reminder-grace'\) -> mailer\.sendReminder\(\["grace@example\.com"\], \{"days":3\}\)$/m);
    assert.match(out, /^fetchJob\('no-such-job'\) -> null$/m);
    assert.match(out, /^remove\(welcome\) -> true; job hash kept: true$/m);
    assert.match(out, /^empty\(\) -> 1 job\(s\) deleted; rq:job:reminder-grace exists: false$/m);
    assert.match(out, /^Queue\.all -> emails, reports$/m);
    assert.deepEqual(await admin.smembers('rq:queues'), []);
    assert.deepEqual(await admin.keys('*'), []);
  });

  test('typed-tasks: typed enqueues and a batch run in a worker that lists no tasks', async () => {
    const out = await run('typed-tasks');
    assert.match(out, /^enqueueMany -> 3 jobs; queue order: billing\.applyDiscount\(5000, 10\), billing\.sendInvoice\('acme', 12000\)/m);
    assert.match(out, /^billing\.applyDiscount\(12000, 15\) -> 10200$/m);
    assert.match(out, /^billing\.sendInvoice\('globex', 5000\) -> "invoice of 5000 cents sent to globex"$/m);
    assert.equal(await admin.zcard('rq:finished:billing'), 5);
    assert.equal(await admin.exists('rq:job:invoice-globex', 'rq:job:invoice-initech'), 2);
  });

  test('sync-queue: isAsync false runs jobs at enqueue time and leaves them as a worker would', async () => {
    const out = await run('sync-queue');
    assert.match(out, /^text\.slugify\('  Hello, Redis Queue! '\) -> status finished, returned "hello-redis-queue"$/m);
    assert.match(out, /^text\.parsePrice\(''\) -> status failed, RangeError: not a price: ''$/m);
    assert.match(out, /^queue length: 0, worker_name: sync$/m);
    assert.equal(await admin.zcard('rq:finished:text'), 1);
    assert.equal(await admin.zcard('rq:failed:text'), 1);
  });
});

describe('docs/queues.md and workers.md: scheduling', () => {
  test('scheduling: enqueueAt and enqueueIn wait in the scheduled registry; a worker withScheduler runs them when due', async () => {
    const out = await run('scheduling');
    assert.match(out, /^enqueueAt\(in a second\): status scheduled, enqueued_at unset, queue length 0$/m);
    assert.match(out, /^enqueueIn\('1d'\): in rq:scheduled:reminders, due in about 24 h$/m);
    assert.match(out, /^ran linus@example\.com, ada@example\.com after about \d+ s \(atFront first\)$/m);
    assert.match(out, new RegExp(`^${UUID}: finished; tomorrow's job: scheduled$`, 'm'));
    assert.match(out, /^rq:scheduler-lock:reminders after the worker stopped: released$/m);
    assert.equal(await admin.zcard('rq:scheduled:reminders'), 1);
  });
});

describe('docs/jobs.md examples', () => {
  test('job-lifecycle: getters read the last known status; results, errors, delete', async () => {
    const out = await run('job-lifecycle');
    assert.match(out, new RegExp(`^${UUID} is at position 1 in 'images'$`, 'm'));
    assert.match(out, /^Job\.fetchMany -> cat\.png, null, dog\.gif$/m);
    assert.match(out, /^Job\.fetch\('no-such-job'\) -> NoSuchJobError: No such job: rq:job:no-such-job$/m);
    assert.match(out, /^before reading again: cat\.status queued, cat\.isFinished false$/m);
    assert.match(out, /^cat\.getStatus\(\) -> finished, now cat\.isFinished true$/m);
    assert.match(out, /^after refresh: dog\.isFailed true, ran by [0-9a-f]{32}, ended at /m);
    assert.match(out, /^cat\.returnValue\(\) -> \{"file":"cat\.png","width":640,"height":480\}$/m);
    assert.match(out, /^dog\.excInfo\(\) -> TypeError: dog\.gif: GIF is not supported$/m);
    assert.match(out, /^dog\.returnValue\(\) -> null$/m);
    assert.match(out, /^dog\.results\(\) after a second run -> types 2, 2$/m);
    assert.match(out, /^cat\.delete\(\) -> true; exists false; finished registry has it: false$/m);
    assert.match(out, /^rq:results:.* kept: true$/m);
    assert.match(out, /^cat\.getStatus\(\) once deleted -> undefined$/m);
  });

  test('job-progress: a watcher sees the meta a running job saves; getCurrentJob outside a job', async () => {
    const out = await run('job-progress');
    assert.match(out, /^progress seen while running: (\d+% )+\d+%$/m);
    assert.match(out, /^outside a job, getCurrentJob\(\) -> undefined$/m);
    assert.match(out, /^finished: finished, returned \{"imported":500\}, meta \{"progress":100\}$/m);
  });

  test('job-hash: data is zlib JSON, meta plain JSON, results base64; pickle refused; create and save', async () => {
    const out = await run('job-hash');
    assert.match(out, /^data \(zlib\) -> \["tasks\.greet",null,\["Ada"\],\{"greeting":"Welcome"\}\]$/m);
    assert.match(out, /^meta \(plain JSON\) -> \{"source":"signup"\}$/m);
    assert.match(out, /^created_at -> \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/m);
    assert.match(out, /^return_value \(base64 of JSON\) -> "Welcome, Ada!"$/m);
    assert.match(out, /^Job\.fetch\('from-python'\) -> DeserializationError: Job rq:job:from-python holds Python pickle data/m);
    assert.match(out, /^draft saved: status field null, on a queue: false$/m);
    assert.equal(await admin.hget('rq:job:draft-grace', 'description'), '');
  });
});

describe('docs/workers.md examples', () => {
  test('worker-basics: priority order, tasks and paths, events, the worker hash', async () => {
    const out = await run('worker-basics');
    const started = [...out.matchAll(/^job:started (\w+): (.*)$/gm)].map((match) => `${match[1]} ${match[2]}`);
    assert.deepEqual(started, ["high billing.refund('order-42')", 'low tasks.add(2, 3)', "low tasks.greet('Ada', greeting='Welcome')", 'low billing.nowhere()']);
    assert.match(out, /^job:failed billing\.nowhere\(\): UnknownFunctionError$/m);
    assert.match(out, /^worker:stopped after 4 jobs$/m);
    assert.match(out, /^results: 5, Welcome, Ada!, refunded order-42$/m);
    assert.match(out, /^rq:worker:docs-worker: queues=high,low state=idle successful_job_count=3 failed_job_count=1 death=set$/m);
    assert.match(out, /^in rq:workers: false, TTL \d+ s$/m);
  });

  test('worker-concurrency: three slots, each a worker RQ can see, run at the same time', async () => {
    const out = await run('worker-concurrency');
    assert.match(out, /^slots: crawler, crawler-2, crawler-3$/m);
    for (const slot of ['crawler', 'crawler-2', 'crawler-3']) assert.match(out, new RegExp(`^rq:worker:${slot}: state=busy current_job=set$`, 'm'));
    assert.match(out, /^SMEMBERS rq:workers:pages -> rq:worker:crawler rq:worker:crawler-2 rq:worker:crawler-3$/m);
    assert.match(out, /^ran 6 jobs, at most 3 at once$/m);
  });

  test('worker-isolated: jobs run in reused horses; a runaway job is killed at its timeout', async () => {
    const out = await run('worker-isolated');
    assert.match(out, /^the worker's pid is not the pid of the horse that ran 2026-10$/m);
    assert.match(out, /^2026-10 and 2026-11 ran in the same horse$/m);
    assert.match(out, /^reports\.runaway: failed, JobTimeoutError: Job .* exceeded its timeout of 1 s; its work horse was killed\.$/m);
    assert.match(out, /^2026-12 ran in a new horse$/m);
    assert.match(out, /^tasks\.add\(20, 22\) -> 42$/m);
  });

  test('worker-timeouts: both jobs fail at their timeout; the one ignoring its signal runs on', async () => {
    const out = await run('worker-timeouts');
    assert.match(out, /^exports\.polite: failed, JobTimeoutError: Job .* exceeded its timeout of 1 s\.$/m);
    assert.match(out, /^exports\.stubborn: failed, JobTimeoutError: /m);
    assert.match(out, /^exports\.polite saw its signal abort: true$/m);
    assert.match(out, /^exports\.stubborn still running after the worker stopped: true$/m);
    assert.match(out, /^exports\.stubborn returned later anyway; its job was already 'failed'$/m);
  });

  test('worker-stop: SIGTERM stops warmly (the job finishes); a cold stop fails the running job', async () => {
    const out = await run('worker-stop');
    assert.match(out, /^warm stop: work\(\) resolved after 1 job\(s\)$/m);
    assert.match(out, /^first: finished, second: queued \(left on the queue\)$/m);
    assert.match(out, /^backup-worker still in rq:workers: false$/m);
    assert.match(out, /^cold stop: second is failed, ShutDownImminentError: Job .* interrupted: worker .* was shut down cold\.$/m);
  });

  test('worker-commands: stop-job, kill-horse, suspension, shutdown', async () => {
    const out = await run('worker-commands');
    assert.match(out, new RegExp(`^command:received \\{"command":"stop-job","job_id":"${UUID}"\\} on encoder$`, 'm'));
    assert.match(out, /^stop-job: .* is stopped, in the failed registry: true$/m);
    assert.match(out, /^kill-horse: .* is failed: Error: Work-horse terminated: kill-horse command to encoder while it ran job /m);
    assert.match(out, /^suspended: job queued, worker state suspended$/m);
    assert.equal(await admin.exists('rq:suspended'), 0, 'resume() deleted the key');
    assert.match(out, /^resumed: job finished$/m);
    assert.match(out, /^shutdown: heard by 1 subscriber\(s\); work\(\) resolved after 3 jobs$/m);
    assert.equal(await admin.scard('rq:workers'), 0);
  });

  test('abandoned-jobs: a killed worker\'s job is requeued once, then fails with AbandonedJobError', async () => {
    const out = await run('abandoned-jobs');
    assert.match(out, /^worker killed: job started, in rq:wip:ledger: true, rq:worker:doomed in rq:workers: true$/m);
    assert.match(out, /^cleanup: requeued 1, failed 0; job queued, abandoned_count 1$/m);
    assert.match(out, /^second cleanup: failed 1; job failed: AbandonedJobError: the job's worker stopped sending heartbeats/m);
    const [id] = await admin.zrange('rq:failed:ledger', 0, -1);
    assert.ok(id);
    assert.equal(await admin.hget(`rq:job:${id}`, 'abandoned_count'), '1');
    assert.equal(await admin.zcard('rq:wip:ledger'), 0);
  });

  test('retries: Retry is stored as RQ stores it; interval 0 requeues at once, 60 schedules; no result for retried runs', async () => {
    const out = await run('retries');
    assert.match(out, /^stored: retries_left 2, retry_intervals \[0, 60\]$/m);
    assert.equal(out.match(/^job:retried /gm)?.length, 2, out);
    assert.match(out, /^after 2 runs: status scheduled, retries_left 0, due in rq:scheduled:webhooks in about (59|60) s$/m);
    assert.match(out, /^results written for retried runs: 0$/m);
    assert.match(out, /^job:failed .*: https:\/\/example\.com\/hook: 503 Service Unavailable$/m);
    assert.match(out, /^third run: failed, in the failed registry: true$/m);
  });
});

describe('docs/workers.md: exception handlers', () => {
  test('exception-handlers: false ends the chain; without the default handler only the status is kept', async () => {
    const out = await run('exception-handlers');
    assert.match(out, /^handlers called: skipDeclined\(4242\)$/m);
    assert.match(out, /^with the default handler: status failed, in the failed registry: true, results: 1$/m);
    assert.match(out, /^without it: status failed, in the failed registry: false, results: 0, TTL -1$/m);
    assert.match(out, /^archived by the handler: 1 failure\(s\)$/m);
  });
});

describe('docs/registries.md examples', () => {
  test('registries: keys, count, expiration, requeue, remove, add, cleanup', async () => {
    const out = await run('registries');
    assert.match(out, /^keys: StartedJobRegistry rq:wip:orders, FinishedJobRegistry rq:finished:orders, FailedJobRegistry rq:failed:orders, DeferredJobRegistry rq:deferred:orders, ScheduledJobRegistry rq:scheduled:orders, CanceledJobRegistry rq:canceled:orders$/m);
    assert.match(out, /^finished: count 2, ids in score order order-1, order-2$/m);
    assert.match(out, /^order-1 leaves the finished registry in about 10 minutes; order-2's score is inf$/m);
    assert.match(out, /^failed: 1, contains order-3: true, expires in about 24 h$/m);
    assert.match(out, /^requeue: status queued, on rq:queue:orders at 0, failed count 0$/m);
    assert.match(out, /^remove\(order-1, deleteJob\): true, job kept: false$/m);
    assert.match(out, /^cleanup of the finished registry removed 1 expired entry$/m);
    assert.equal(await admin.llen('rq:queue:orders'), 1);
  });
});

describe('the examples and the docs', () => {
  test('an example without its URL says which variable to set and exits with code 2', async () => {
    const { code, stderr } = await runExample('queue-basics', {}, ['RQ_EXAMPLE_URL_1']);
    assert.equal(code, 2);
    assert.match(stderr, /Set RQ_EXAMPLE_URL_1/);
  });

  test('an example exits with code 1 when what it sees is not what the docs say (here: a stray job)', async () => {
    await admin.rpush('rq:queue:emails', 'stray-job');
    const { code, stderr } = await runExample('queue-basics', env);
    assert.equal(code, 1);
    assert.match(stderr, /AssertionError/);
  });

  test('every example in examples/docs is run by this file', () => {
    const files = readdirSync(join(ROOT, 'examples', 'docs')).filter((name) => name.endsWith('.ts')).map((name) => name.slice(0, -3));
    assert.deepEqual(files.sort(), [...EXAMPLES].sort());
  });

  test('every relative link of the docs leads to a file, and to a heading of it', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(join(ROOT, 'docs', doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const file = path === '' ? join(ROOT, 'docs', doc) : resolve(ROOT, 'docs', path);
        if (!existsSync(file)) broken.push(`${doc}: ${target} (no such file)`);
        else if (anchor !== undefined && !headingSlugs(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${doc}: ${target} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });

  test('the rq worker flags listed in docs/workers.md are the bin\'s own', () => {
    const help = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'index.js'), 'worker', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    const fromHelp = new Set([...help.stdout.matchAll(/(?:^|\s)(--[a-z-]+)/gm)].map((match) => match[1]!));
    const section = readFileSync(join(ROOT, 'docs', 'workers.md'), 'utf8').split('## The `rq worker` command')[1]!.split('\n## ')[0]!;
    const table = section.split('\n').filter((line) => line.startsWith('| `'));
    const fromDocs = new Set(table.flatMap((line) => [...line.split('|')[1]!.matchAll(/(--[a-z-]+)/g)].map((match) => match[1]!)));
    assert.deepEqual([...fromDocs].sort(), [...fromHelp].sort());
  });
});

/** The anchors GitHub gives the headings of a Markdown text. */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    slugs.add(heading!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  }
  return slugs;
}
