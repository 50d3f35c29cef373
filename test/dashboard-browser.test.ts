/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core. A user
 * opens the queues page, follows a failed job, requeues it and sees the counts change; the page
 * refreshes by itself; a job whose arguments hold markup cannot run script; read-only shows no
 * action; the charts draw their axes, lines and legend, a queue's page its own charts and table of
 * functions, and an opened table of numbers stays open across the page's refreshes. With
 * RQ_TS_SCREENSHOTS=1 the test also writes the screenshots of docs/dashboard.md
 * (docs/images/dashboard-*.png).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { createDashboard, type DashboardOptions } from '../src/dashboard/index.js';
import { Queue, Worker } from '../src/index.js';
import { BUCKET_NAMES } from '../src/job-stats.js';
import { ROOT, useRedis } from './harness/index.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SCREENSHOTS = process.env['RQ_TS_SCREENSHOTS'] === '1' ? join(ROOT, 'docs', 'images') : undefined;

const redis = useRedis();
const servers: Server[] = [];
let browser: Browser | undefined;

async function serve(options: Partial<DashboardOptions> = {}): Promise<string> {
  const handler = createDashboard({ instances: [{ name: 'redis://127.0.0.1/0', connection: redis.connect() }], refreshSeconds: 1, ...options });
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/**
 * Six hours of history for `queue` before the current minute, written as rq-ts workers write it
 * (job-stats.ts, finish-and-start-jobs.lua): per minute, `<minute>:finished` and `<minute>:failed`
 * counts and the `<minute>:run:<le>` histogram in `rq:throughput:<queue>:<hour start>`. A test
 * cannot wait hours for a worker to fill a chart; the current minute is real workers' own. The
 * shape is fixed (no randomness): a slow wave of load, a failure now and then, run times in two
 * buckets, longer when busier.
 */
async function seedHistory(admin: Redis, queue: string, scale: number, runBuckets: readonly [string, string]): Promise<void> {
  const [seconds] = await admin.time();
  const thisMinute = Math.floor(Number(seconds) / 60) * 60;
  const batch = admin.pipeline();
  for (let ago = 1; ago < 360; ago++) {
    const minute = thisMinute - ago * 60;
    const hour = minute - (minute % 3600);
    const key = `rq:throughput:${queue}:${hour}`;
    const field = (minute - hour) / 60;
    const finished = Math.round(scale * (1.2 + Math.sin(ago / 37) + 0.4 * Math.sin(ago / 5)));
    const failed = ago % 23 === 0 ? 2 : ago % 11 === 0 ? 1 : 0;
    if (finished > 0) batch.hincrby(key, `${field}:finished`, finished);
    if (failed > 0) batch.hincrby(key, `${field}:failed`, failed);
    const slow = Math.round((finished + failed) * (0.15 + 0.1 * Math.sin(ago / 37)));
    if (finished + failed - slow > 0) batch.hincrby(key, `${field}:run:${runBuckets[0]}`, finished + failed - slow);
    if (slow > 0) batch.hincrby(key, `${field}:run:${runBuckets[1]}`, slow);
  }
  await batch.exec();
}

describe('the dashboard in Chromium', { skip: CHROMIUM ? false : 'Chromium is not installed (apt-get install -y chromium)' }, () => {
  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  test('open the queues, follow a failed job, requeue it, and see the counts change; the page refreshes by itself', async () => {
    const connection = redis.connect();
    const queue = new Queue('emails', { connection });
    await queue.enqueue('mail.send', 'ada@example.com', 'Welcome');
    const failing = await queue.enqueueCall('mail.send', { args: ['grace@example.com', 'Invoice'], meta: { attempt: 1 } });
    for (let i = 0; i < 3; i++) await new Queue('reports', { connection }).enqueue('reports.build', `2026-${10 + i}`);
    let call = 0;
    await new Worker(['emails', 'reports'], {
      connection,
      tasks: {
        'mail.send': (to: string) => {
          call += 1;
          if (to.startsWith('grace')) throw new Error(`SMTP 550: mailbox ${to} unavailable`);
          return { sent: to, call };
        },
        'reports.build': (month: string) => ({ month, rows: 1200 }),
      },
    }).work({ burst: true });
    await queue.enqueue('mail.send', 'alan@example.com', 'Digest');
    const base = await serve();
    const page = await browser!.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${base}/`);
    const count = (name: string) => page.locator(`[data-count="${name}"]`).innerText();
    assert.equal(await count('emails:failed'), '1');
    assert.equal(await count('emails:queued'), '1');

    await page.click('[data-count="emails:failed"]');
    await page.waitForURL(/\/queues\/emails\/failed$/);
    await page.click(`a[href="/jobs/${failing.id}"]`);
    await page.waitForURL(new RegExp(`/jobs/${failing.id}$`));
    assert.match(await page.locator('main').innerText(), /SMTP 550: mailbox grace@example.com unavailable/);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-job.png'), fullPage: true });
    await page.click('form[action$="/actions/requeue"] button');
    await page.waitForURL(new RegExp(`/jobs/${failing.id}$`));
    assert.equal(await page.locator('.fields .status').innerText(), 'queued');

    await page.goto(`${base}/`);
    assert.equal(await count('emails:failed'), '0');
    assert.equal(await count('emails:queued'), '2');
    // Without a reload: a job enqueued now shows within a refresh or two.
    await queue.enqueue('mail.send', 'linus@example.com', 'Hello');
    // (Polled through locators: the page's CSP refuses the string evaluation waitForFunction uses.)
    await page.locator('[data-count="emails:queued"]', { hasText: /^3$/ }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('a job whose data holds markup cannot run script; read-only shows no action', async () => {
    const connection = redis.connect();
    const job = await new Queue('hostile', { connection }).enqueueCall('tasks.x', {
      args: ['<script>window.__xss = 1</script>', '<img src=x onerror="window.__xss = 2">'],
      meta: { note: '</pre><script>window.__xss = 3</script>' },
      description: '<b onmouseover="window.__xss = 4">hover</b>',
    });
    const base = await serve({ readOnly: true });
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/jobs/${job.id}`);
    await page.hover('main');
    const text = await page.locator('main').innerText();
    assert.match(text, /<script>window.__xss = 1<\/script>/, 'shown as text');
    assert.match(text, /<b onmouseover=/);
    assert.equal(await page.evaluate('typeof window.__xss'), 'undefined', 'no script ran');
    assert.equal(await page.locator('script').count(), 1, "only the dashboard's own script");
    assert.equal(await page.locator('img, b').count(), 0);
    assert.equal(await page.locator('form[method="post"]').count(), 0, 'read-only: no action');
    await page.goto(`${base}/`);
    assert.equal(await page.locator('form[method="post"]').count(), 0);
    assert.match(await page.locator('header').innerText(), /read-only/);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-read-only.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the charts draw axes, units, lines and a legend; a queue page adds run time and its functions; opened numbers stay open across refreshes', async () => {
    const connection = redis.connect();
    const nap = (ms: number) => new Promise((done) => setTimeout(done, ms));
    assert.ok(BUCKET_NAMES.includes('0.05') && BUCKET_NAMES.includes('0.5'));
    await seedHistory(redis.admin, 'emails', 6, ['0.05', '0.1']);
    await seedHistory(redis.admin, 'reports', 2, ['0.5', '1']);
    const emails = new Queue('emails', { connection });
    const reports = new Queue('reports', { connection });
    for (let i = 0; i < 6; i++) await emails.enqueue('mail.send', i === 4 ? 'bounce@example.com' : `user${i}@example.com`);
    for (let i = 0; i < 3; i++) await reports.enqueue('reports.build', `2026-0${i + 1}`);
    await new Worker([emails, reports], {
      connection,
      tasks: {
        'mail.send': async (to: string) => {
          await nap(30);
          if (to.startsWith('bounce')) throw new Error(`SMTP 550: mailbox ${to} unavailable`);
          return { sent: to };
        },
        'reports.build': async (month: string) => {
          await nap(300);
          return { month, rows: 1200 };
        },
      },
    }).work({ burst: true });
    const base = await serve();
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${base}/`);
    await checkChart(page, 'throughput', 'jobs/min', 6);
    assert.match(await page.locator('#chart-throughput figcaption').innerText(), /finished: \d+\s+failed: \d+/);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-queues.png'), fullPage: true });

    // The numbers open with a click and stay open while the page refreshes itself.
    await page.click('#numbers-throughput summary');
    assert.ok((await page.locator('#numbers-throughput tbody tr').count()) >= 6, 'an hour a row');
    const updated = (await page.locator('body').getAttribute('data-updated')) ?? '';
    await page.locator(`body[data-updated]:not([data-updated="${updated}"])`).waitFor({ state: 'attached', timeout: 10_000 });
    assert.equal(await page.locator('#numbers-throughput[open]').count(), 1, 'still open after a refresh');

    await page.click('a[href="/queues/reports"]');
    await page.waitForURL(/\/queues\/reports$/);
    await checkChart(page, 'throughput', 'jobs/min', 6);
    await checkChart(page, 'run-time', 'ms', 6);
    assert.match(await page.locator('#chart-run-time figcaption').innerText(), /p50: median\s+p95: at most \d+ ms/);
    const cell = (stat: string) => page.locator(`tr[data-func="reports.build"] [data-stat="${stat}"]`).innerText();
    assert.equal(await cell('runs'), '3');
    assert.equal(await cell('p50'), '375 ms', 'three runs of 300 ms, in the bucket from 0.25 to 0.5 s: its middle');
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-queue-charts.png'), fullPage: true });

    await page.click('nav.spans a:text-is("1h")');
    await page.waitForURL(/\/queues\/reports\?span=1h$/);
    assert.match(await page.locator('#chart-run-time text.span').textContent() ?? '', /^last hour, /);
    assert.equal(await page.locator('#chart-throughput text.tick.time').count(), 6, 'every 10 minutes');
    await page.close();
  });
});

/** Chart `id` of the page is drawn: a visible SVG of its full size, the `unit` over its value axis, `ticks` times under its time axis, a visible line per series, and its legend. */
async function checkChart(page: Page, id: string, unit: string, ticks: number): Promise<void> {
  const chart = page.locator(`#chart-${id}`);
  const box = await chart.locator('svg').boundingBox();
  assert.ok(box && box.width >= 700 && box.height >= 200, `chart ${id} drawn at its size: ${JSON.stringify(box)}`);
  assert.equal(await chart.locator('text.unit').textContent(), unit);
  const times = await chart.locator('text.tick.time').allTextContents();
  assert.equal(times.length, ticks, times.join(', '));
  for (const time of times) assert.match(time, /^\d\d:\d\d$/);
  assert.ok((await chart.locator('text.tick.value').count()) >= 3, 'value ticks');
  for (const line of await chart.locator('path.series').all()) {
    const lineBox = await line.boundingBox();
    assert.ok(lineBox && lineBox.width > 600 && lineBox.height > 5, `a line across the chart, up and down: ${JSON.stringify(lineBox)}`);
  }
  assert.ok(await chart.locator('figcaption .legend').first().isVisible(), 'the legend');
}
