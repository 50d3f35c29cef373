/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core. A user
 * opens the queues page, follows a failed job, requeues it and sees the counts change; the page
 * refreshes by itself; a job whose arguments hold markup cannot run script; read-only shows no
 * action. With RQ_TS_SCREENSHOTS=1 the test also writes the screenshots of docs/dashboard.md
 * (docs/images/dashboard-*.png).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createDashboard, type DashboardOptions } from '../src/dashboard/index.js';
import { Queue, Worker } from '../src/index.js';
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
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-queues.png') });

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
});
