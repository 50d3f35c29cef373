/**
 * One producer or worker of the benchmark, in its own process: `node bench/child.mjs '<task JSON>'`,
 * forked by bench/run.mjs. The task names a system (bench/systems/<system>.mjs) and a role; the
 * child reports over IPC (`{ ready: true }` when a worker listens, then `{ result }` or `{ error }`)
 * and exits. A fresh process per measurement: no system inherits another's heap, JIT or sockets,
 * and a worker's peak RSS is its own.
 *
 * Every role works on queue `bench`, or on `task.queue`; with `task.cluster` (startup nodes) on a
 * Redis Cluster instead of the Redis at host:port.
 *
 * Roles:
 *   enqueue          { mode: 'seq' | 'inflight' | 'bulk', n, warmup, inFlight, batch } -> { ms, cpuUs (client CPU per job) }
 *   fill             { n, batch, queues?, unkept? }: pre-enqueue n jobs for a worker (n on each of `queues`), untimed -> {}
 *   process          { n, concurrency, startOnGo? }: run n pre-enqueued jobs -> { ms, maxRssKb, startedAt, endedAt };
 *                    with startOnGo, sends { ready: true } once its worker is open and starts it at the
 *                    parent's { go: true }, so that several workers start together (wall-clock times)
 *   latency-worker   { n, concurrency }: wait for n jobs, each carrying its send time -> { samples: [sentAt, ms][] }
 *   (process and latency-worker add `wire` and `parts` when bench/lib/wire-timeline.mjs is loaded)
 *   latency-producer { n, intervalMs }: send a job every intervalMs, its send time as payload -> { lagMs }
 */
const QUEUE = 'bench';

const task = JSON.parse(process.argv[2]);
const system = await import(new URL(`./systems/${task.system}.mjs`, import.meta.url).href);
// `unkept`: jobs whose results are not kept (scenario 9), as each system says it.
const options = { host: task.host, port: task.port, cluster: task.cluster, queue: task.queue ?? QUEUE, unkept: task.unkept === true };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const wallClock = () => performance.timeOrigin + performance.now();

const roles = {
  async enqueue({ mode, n, warmup, inFlight, batch }) {
    const producer = await system.openProducer(options);
    const run = { seq: sequential, inflight: (p, count) => concurrent(p, count, inFlight), bulk: (p, count) => bulk(p, count, batch) }[mode];
    await run(producer, warmup); // same connection and objects: scripts loaded, code warm
    const cpu = process.cpuUsage();
    const start = performance.now();
    await run(producer, n);
    const ms = performance.now() - start;
    const { user, system: sys } = process.cpuUsage(cpu);
    await producer.close();
    return { ms, cpuUs: (user + sys) / n };
  },

  async fill({ n, batch, queues = [options.queue] }) {
    for (const queue of queues) {
      const producer = await system.openProducer({ ...options, queue });
      await bulk(producer, n, batch);
      await producer.close();
    }
    return {};
  },

  async process({ n, concurrency, startOnGo = false }) {
    let start = 0;
    let end = 0;
    let endedAt = 0;
    // With bench/lib/wire-timeline.mjs loaded (npm run bench:parts): the wire split of the second half.
    let completed = 0;
    let half = 0;
    const { worker, finished } = await openCountingWorker(
      n,
      concurrency,
      () => {
        end = performance.now();
        endedAt = wallClock();
      },
      () => {
        completed += 1;
        if (completed === Math.floor(n / 2)) half = performance.now();
      },
    );
    if (startOnGo) {
      const go = new Promise((resolve) => process.on('message', (message) => message.go && resolve()));
      process.send({ ready: true });
      await go;
    }
    const startedAt = wallClock();
    start = performance.now();
    worker.start();
    await finished;
    await worker.stop();
    const wire = globalThis.__wireTimeline?.perJob(half, end, n - Math.floor(n / 2));
    return { ms: end - start, maxRssKb: process.resourceUsage().maxRSS, startedAt, endedAt, ...(wire && { wire }) };
  },

  async 'latency-worker'({ n, concurrency }) {
    const samples = [];
    const timeline = globalThis.__wireTimeline; // npm run bench:parts
    const jobs = [];
    const { worker, finished } = await openCountingWorker(n, concurrency, undefined, (sentAt) => {
      samples.push([sentAt, wallClock() - sentAt]);
      if (timeline) jobs.push({ sentAt: sentAt - performance.timeOrigin, doneAt: performance.now() });
    });
    worker.start();
    process.send({ ready: true });
    await finished;
    await worker.stop();
    const parts = timeline?.latencyParts(jobs.slice(Math.ceil(n / 10)));
    return { samples, maxRssKb: process.resourceUsage().maxRSS, ...(parts && { parts }) };
  },

  async 'latency-producer'({ n, intervalMs }) {
    const producer = await system.openProducer(options);
    const adds = [];
    let lagMs = 0;
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const wait = start + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lagMs = Math.max(lagMs, performance.now() - (start + i * intervalMs));
      adds.push(producer.add(wallClock()));
    }
    await Promise.all(adds);
    await producer.close();
    return { lagMs };
  },
};

/** A worker that resolves `finished` at its n-th completed job; any failed job fails the task. */
async function openCountingWorker(n, concurrency, onLast, onEach) {
  let completed = 0;
  let settle;
  const finished = new Promise((resolve, reject) => (settle = { resolve, reject }));
  const worker = await system.openWorker({
    ...options,
    concurrency,
    onComplete: (payload) => {
      onEach?.(payload);
      completed += 1;
      if (completed === n) {
        onLast?.();
        settle.resolve();
      }
    },
    onFail: (error) => settle.reject(error instanceof Error ? error : new Error(String(error))),
  });
  return { worker, finished };
}

async function sequential(producer, n) {
  for (let i = 0; i < n; i++) await producer.add(i);
}

/** n adds with `inFlight` of them outstanding at any time. */
async function concurrent(producer, n, inFlight) {
  let next = 0;
  const lane = async () => {
    while (next < n) await producer.add(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, lane));
}

async function bulk(producer, n, batch) {
  for (let first = 0; first < n; first += batch) {
    const size = Math.min(batch, n - first);
    await producer.addBulk(Array.from({ length: size }, (_, i) => first + i));
  }
}

try {
  const result = await roles[task.role](task);
  process.send({ result }, () => process.exit(0));
} catch (error) {
  process.send({ error: error?.stack ?? String(error) }, () => process.exit(1));
}
