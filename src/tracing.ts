/**
 * OpenTelemetry traces, when the application has `@opentelemetry/api` (an optional peer
 * dependency): without it nothing is loaded (one failed `require` at the first enqueue or job, then
 * a null check) and nothing is written; with it but no SDK registered, no span is made. With it, following OpenTelemetry's messaging semantic
 * conventions (`messaging.system` "rq", `messaging.destination.name` the queue,
 * `messaging.operation`, `messaging.message.id` the job id):
 *
 * - each enqueued job gets a PRODUCER span, `publish <queue>`, and the span's context travels in
 *   the job, in its meta under `otel` as W3C trace context headers (`{ "traceparent": "00-…",
 *   "tracestate": "…" }`): a field a Python producer or worker can read and write too;
 * - each run of a job gets a CONSUMER span, `process <queue>`, child of that context (one trace
 *   from the enqueue to the run, across processes), active while the job's function runs (spans
 *   it starts are its children), ended with the job's ending: an error recorded as an exception
 *   and the span's status, a retry as an event and `messaging.rq.job.retried`.
 *
 * The propagator is the application's (the SDK's default, W3C trace context): with none set,
 * nothing travels.
 */
import { createRequire } from 'node:module';
import type * as Otel from '@opentelemetry/api';

type Api = typeof Otel;

/** The meta key the trace context travels under. */
export const TRACE_META_KEY = 'otel';

const TRACER_NAME = 'rq-ts';

let api: Api | null | undefined;

/** `@opentelemetry/api` when the application has it, else null (looked for once). */
function otel(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    } catch {
      api = null;
    }
  }
  return api;
}

/**
 * The tracer to write spans with: undefined without `@opentelemetry/api`, and while no SDK is
 * registered (the API's global provider has no delegate), so that an application that has the API
 * without an SDK pays for no span.
 */
function tracer(): { otelApi: Api; tracer: Otel.Tracer } | undefined {
  const otelApi = otel();
  if (!otelApi) return undefined;
  const provider = otelApi.trace.getTracerProvider();
  const delegate = provider instanceof otelApi.ProxyTracerProvider ? provider.getDelegateTracer(TRACER_NAME) : provider.getTracer(TRACER_NAME);
  return delegate && { otelApi, tracer: delegate };
}

/** What tracing needs of a job. */
interface TracedJob {
  readonly id: string;
  readonly funcName: string;
  meta: Record<string, unknown>;
}

/** The producer spans of one enqueue, to end once the jobs are written. */
export interface ProducerSpans {
  end(error?: unknown): void;
}

/**
 * Starts a producer span for each job about to be written to `queue`, and puts its context in the
 * job's meta. Undefined without `@opentelemetry/api`.
 */
export function startProducerSpans(queue: string, jobs: readonly TracedJob[]): ProducerSpans | undefined {
  const traced = tracer();
  if (!traced) return undefined;
  const { otelApi } = traced;
  const spans = jobs.map((job) => {
    const span = traced.tracer.startSpan(`publish ${queue}`, { kind: otelApi.SpanKind.PRODUCER, attributes: messagingAttributes(queue, job, 'publish') });
    const carrier: Record<string, string> = {};
    otelApi.propagation.inject(otelApi.trace.setSpan(otelApi.context.active(), span), carrier);
    if (Object.keys(carrier).length > 0) job.meta[TRACE_META_KEY] = carrier;
    return span;
  });
  return {
    end: (error?: unknown) => {
      for (const span of spans) {
        if (error !== undefined) fail(otelApi, span, error);
        span.end();
      }
    },
  };
}

/** The consumer span of one run of a job. */
export interface ConsumerSpan {
  /** Runs `fn` with the span active. */
  run<T>(fn: () => T): T;
  /** Ends the span with what became of the job (RQ's ending status) and its error. */
  end(status: string, error?: Error): void;
}

/** Starts the consumer span of a run of `job` from `queue`, child of the context in its meta. Undefined without `@opentelemetry/api`. */
export function startConsumerSpan(queue: string, job: TracedJob, workerName: string): ConsumerSpan | undefined {
  const traced = tracer();
  if (!traced) return undefined;
  const { otelApi } = traced;
  const carried = job.meta[TRACE_META_KEY];
  const parent = typeof carried === 'object' && carried !== null ? otelApi.propagation.extract(otelApi.ROOT_CONTEXT, carried) : otelApi.context.active();
  const attributes = { ...messagingAttributes(queue, job, 'process'), 'messaging.consumer.group.name': workerName };
  const span = traced.tracer.startSpan(`process ${queue}`, { kind: otelApi.SpanKind.CONSUMER, attributes }, parent);
  const active = otelApi.trace.setSpan(parent, span);
  return {
    run: (fn) => otelApi.context.with(active, fn),
    end: (status, error) => {
      span.setAttribute('messaging.rq.job.status', status);
      if (status === 'retried') {
        span.setAttribute('messaging.rq.job.retried', true);
        span.addEvent('retry', { 'exception.message': error?.message ?? '' });
      }
      if (error !== undefined && (status === 'failed' || status === 'stopped' || status === 'retried')) fail(otelApi, span, error);
      span.end();
    },
  };
}

function messagingAttributes(queue: string, job: TracedJob, operation: 'publish' | 'process'): Otel.Attributes {
  return {
    'messaging.system': 'rq',
    'messaging.destination.name': queue,
    'messaging.operation': operation,
    'messaging.operation.type': operation === 'publish' ? 'send' : 'process',
    'messaging.message.id': job.id,
    'messaging.rq.job.function': job.funcName,
  };
}

function fail(otelApi: Api, span: Otel.Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: otelApi.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
