/**
 * OpenTelemetry traces (src/tracing.ts), with the SDK's in-memory exporter in the producer (this
 * process) and in a worker process of its own (test/fixtures/otel/worker.mjs): a job enqueued
 * inside a span and run by the other process gives one connected trace (the application's span,
 * the producer span, the consumer span, the job's own span), with the messaging attributes, its
 * context carried in the job's meta; a failure and its retry are recorded on the consumer spans.
 * Without a tracer provider nothing travels; without @opentelemetry/api nothing is imported.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { Queue, Retry } from '../src/index.js';
import { pathToFileURL } from 'node:url';
import { ROOT, useRedis } from './harness/index.js';

/** The SDK fixture (a plain .mjs, shared with the worker process). */
const sdk = (await import(pathToFileURL(join(ROOT, 'test/fixtures/otel/sdk.mjs')).href)) as { installTracing(): unknown; spansOf(exporter: unknown): SpanData[] };

interface SpanData {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  events: Array<{ name: string; attributes?: Record<string, unknown> }>;
}

const redis = useRedis();
let connection: Redis;
beforeEach(() => {
  connection = redis.connect();
});

/** Runs the worker process over the queue; the spans it ended. */
function runWorkerProcess(): SpanData[] {
  const out = execFileSync(process.execPath, [join(ROOT, 'test/fixtures/otel/worker.mjs'), redis.server.url], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as SpanData[];
}

test('without a tracer provider, nothing travels in the job; the library imports @opentelemetry/api nowhere', async () => {
  const job = await new Queue('default', { connection }).enqueue('shop.charge', 1);
  assert.equal(await redis.admin.hget(job.key, 'meta'), null, 'no meta written');
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : []));
  const importing = files(join(ROOT, 'dist')).filter((file) => /(import|from)\s*['"]@opentelemetry\/api['"]/.test(readFileSync(file, 'utf8')));
  assert.deepEqual(importing, [], 'loaded on demand only (createRequire), never imported');
});

test('a job enqueued inside a span and run by a worker in another process gives one connected trace; a failure and its retry are recorded', async () => {
  const exporter = sdk.installTracing();
  const queue = new Queue('default', { connection });
  const [charge, flaky] = await trace.getTracer('shop').startActiveSpan('checkout', async (span) => {
    try {
      return [await queue.enqueue('shop.charge', 42), await queue.enqueueCall('shop.flaky', { retry: new Retry({ max: 1 }) })];
    } finally {
      span.end();
    }
  });
  const ours = sdk.spansOf(exporter);
  const checkout = ours.find((span) => span.name === 'checkout')!;
  const producers = ours.filter((span) => span.name === 'publish default');
  assert.equal(producers.length, 2);
  for (const producer of producers) {
    assert.equal(producer.kind, SpanKind.PRODUCER);
    assert.equal(producer.traceId, checkout.traceId);
    assert.equal(producer.parentSpanId, checkout.spanId);
  }
  const producer = producers.find((span) => span.attributes['messaging.message.id'] === charge!.id)!;
  assert.deepEqual(
    ['messaging.system', 'messaging.destination.name', 'messaging.operation', 'messaging.rq.job.function'].map((name) => producer.attributes[name]),
    ['rq', 'default', 'publish', 'shop.charge'],
  );
  // The context travels in the job, where Python could read and write it too.
  const meta = JSON.parse((await redis.admin.hget(charge!.key, 'meta'))!);
  assert.equal(meta.otel.traceparent, `00-${checkout.traceId}-${producer.spanId}-01`);

  const theirs = runWorkerProcess();
  const consumers = theirs.filter((span) => span.name === 'process default');
  const chargeRun = consumers.find((span) => span.attributes['messaging.message.id'] === charge!.id)!;
  assert.equal(chargeRun.kind, SpanKind.CONSUMER);
  assert.equal(chargeRun.traceId, checkout.traceId, 'one trace across the two processes');
  assert.equal(chargeRun.parentSpanId, producer.spanId);
  assert.equal(chargeRun.attributes['messaging.operation'], 'process');
  assert.equal(chargeRun.attributes['messaging.rq.job.status'], 'finished');
  assert.notEqual(chargeRun.status.code, SpanStatusCode.ERROR);
  const own = theirs.find((span) => span.name === 'charge card')!;
  assert.equal(own.parentSpanId, chargeRun.spanId, "the job's own span is a child of its run");
  assert.equal(own.traceId, checkout.traceId);

  const flakyRuns = consumers.filter((span) => span.attributes['messaging.message.id'] === flaky!.id);
  assert.deepEqual(flakyRuns.map((span) => span.attributes['messaging.rq.job.status']), ['retried', 'finished']);
  const [failedRun, retryRun] = flakyRuns as [SpanData, SpanData];
  assert.equal(failedRun.status.code, SpanStatusCode.ERROR);
  assert.equal(failedRun.status.message, 'card declined');
  assert.equal(failedRun.attributes['messaging.rq.job.retried'], true);
  assert.deepEqual(failedRun.events.map((event) => event.name), ['retry', 'exception']);
  assert.equal(retryRun.traceId, checkout.traceId, 'the retry is in the same trace');
  assert.equal(await flaky!.returnValue(), 'charged at last');
});
