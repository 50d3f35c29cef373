/**
 * A queue's own page, `/queues/<queue>`: its lists with their counts, its charts over the span the
 * address asks for (jobs finished and failed per minute; run time p50 and p95), and its job
 * statistics by function. Reads getThroughput() and getJobStats(), which read what rq-ts workers
 * write (`rq:throughput:<queue>:<hour>`, `rq:stats:<queue>`), and the lists' counts (LLEN, ZCARD).
 */
import { getJobStats, getThroughput } from '../index.js';
import type { Context, Page } from './context.js';
import { functionTable } from './function-stats.js';
import { html } from './html.js';
import { LISTS, listCount, type ListName } from './read.js';
import { SPANS, runTimeChart, spanOf, spanSelector, throughputChart } from './throughput-charts.js';
import { queueNav } from './views.js';

/** The count of each of a queue's lists. */
async function countsOf(queue: string, context: Context): Promise<Record<ListName, number>> {
  const values = await Promise.all(LISTS.map((list) => listCount(list, queue, context.connection)));
  return Object.fromEntries(LISTS.map((list, index) => [list, values[index]!])) as Record<ListName, number>;
}

/** `/queues/<queue>`: the queue's lists, charts and statistics by function. */
export async function queuePage(context: Context, queue: string): Promise<Page> {
  const { connection } = context;
  const span = spanOf(context.url);
  const [points, stats, counts] = await Promise.all([getThroughput({ connection, queue, minutes: SPANS[span]! }), getJobStats({ connection, queue }), countsOf(queue, context)]);
  const scope = `queue ${queue}`;
  return {
    title: `Queue ${queue}`,
    main: html`
      ${queueNav(context, queue, 'overview', counts)}
      ${spanSelector(context, `/queues/${encodeURIComponent(queue)}`, span)}
      <h2>Jobs per minute</h2>
      ${throughputChart(points, 'throughput', scope)}
      <h2>Run time</h2>
      ${runTimeChart(points, 'run-time', scope)}
      <h2>By function</h2>
      ${functionTable(queue, stats)}`,
  };
}
