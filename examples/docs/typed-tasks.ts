/**
 * Typed tasks and batches (docs/queues.md): defineTask names a function as jobs call it, so that
 * enqueueing it checks its arguments at compile time and types the job's result, and a worker in
 * the same process runs it without more setup. enqueueMany writes a batch of jobs in one script call.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/typed-tasks.js
 *
 * It prints each job's result, and exits with code 1 if one is not as expected.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { Queue, Worker, defineTask } from '../../src/index.js';

// Usually in a module of its own (billing.ts) that producers and workers both import.
const sendInvoice = defineTask('billing.sendInvoice', async (customer: string, amountCents: number) => {
  return `invoice of ${amountCents} cents sent to ${customer}`;
});
const applyDiscount = defineTask('billing.applyDiscount', (amountCents: number, percent: number) => {
  return Math.round(amountCents * (1 - percent / 100));
});

// These calls do not compile (each @ts-expect-error would fail the build if its line compiled).
// The function is never called: it is here only for the compiler.
function wrongCalls(queue: Queue): void {
  // @ts-expect-error the amount is a string: "Argument of type 'string' is not assignable to parameter of type 'number'".
  void queue.enqueue(sendInvoice, 'acme', '120.00');
  // @ts-expect-error the amount is missing (tsc then reports that the task is not a string: see docs/queues.md).
  void queue.enqueue(sendInvoice, 'acme');
  // @ts-expect-error the percent is missing: "Source has 1 element(s) but target requires 2".
  void queue.enqueueCall(applyDiscount, { args: [12_000] });
}
void wrongCalls;

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('billing', { connection });
  const invoice = await queue.enqueue(sendInvoice, 'acme', 12_000);
  const discount = await queue.enqueueCall(applyDiscount, { args: [12_000, 15], resultTtl: 600 });
  console.log(`enqueued ${invoice.description} and ${discount.description}`);

  // A batch: one MULTI ... EXEC for all of them; each job keeps its own options.
  const batch = await queue.enqueueMany([
    Queue.prepareData(sendInvoice, { args: ['globex', 5_000], jobId: 'invoice-globex' }),
    Queue.prepareData(sendInvoice, { args: ['initech', 7_500], jobId: 'invoice-initech' }),
    Queue.prepareData(applyDiscount, { args: [5_000, 10], atFront: true }),
  ]);
  console.log(`enqueueMany -> ${batch.length} jobs; queue order: ${(await queue.getJobs()).map((job) => job.description).join(', ')}`);
  assert.equal((await queue.getJobIds())[0], batch[2].id, 'atFront puts the discount first');

  // No `tasks` option: the worker finds the functions defined with defineTask in this process.
  const worker = new Worker([queue], { connection });
  assert.equal(await worker.work({ burst: true }), 5);
  for (const job of [invoice, discount, ...batch]) {
    console.log(`${job.description} -> ${JSON.stringify(await job.returnValue())}`);
  }
  // Typed results, no casts: discount is a Job<number>, batch a [Job<string>, Job<string>, Job<number>].
  const cents: number | null = await discount.returnValue();
  assert.equal(cents, 10_200);
  const sent: string | null = await batch[1].returnValue();
  assert.equal(sent, 'invoice of 7500 cents sent to initech');
} finally {
  await connection.quit();
}
