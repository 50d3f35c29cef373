/**
 * The dashboard's actions, as a table: each has a name (its address, `/actions/<name>`), the form
 * fields it needs and what it runs, through the library's public API. An action is a POST from a
 * form of the dashboard's own pages: refused on a read-only dashboard, from another site, or
 * without the page's token (security.ts); then it runs and the browser goes back to the page it
 * came from. One that cannot be done says why (HTTP 409).
 */
import { isRecord } from '../is-record.js';
import type { IncomingMessage } from 'node:http';
import {
  DeserializationError,
  FailedJobRegistry,
  InvalidJobOperationError,
  NoSuchJobError,
  Queue,
  cancelJob,
  deleteJob,
  resume,
  sendStopJobCommand,
  suspend,
} from '../index.js';
import { HttpError, type Context } from './context.js';
import { fetchJob, isListName, registryOf, type ListName } from './read.js';
import { checkSameOrigin, checkToken, safeBack } from './security.js';

/** A form field an action may read. */
type Field = 'id' | 'queue' | 'list' | 'worker';

interface Action {
  readonly name: string;
  readonly needs: readonly Field[];
  /** Does it; resolves to where the browser goes next, when not back to the page it came from (`back`). */
  readonly run: (form: Readonly<Record<Field, string>>, context: Context, back: string) => Promise<string | void>;
}

/** An action that sees only the fields it `needs` (each '' when the form lacks it). */
function action<const F extends Field>(name: string, needs: readonly F[], run: (form: Readonly<Record<F, string>>, context: Context, back: string) => Promise<string | void>): Action {
  return { name, needs, run };
}

/** Refusals of the library that mean "not in a state for this": the user's 409, with the library's message. */
async function refusedAsConflict(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (error instanceof InvalidJobOperationError || error instanceof NoSuchJobError) throw new HttpError(409, error.message);
    throw error;
  }
}

function sample(ids: readonly string[]): string {
  return `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}`;
}

const ACTIONS: readonly Action[] = [
  action('requeue', ['id', 'queue'], async ({ id, queue }, { connection }) => {
    const requeued = new FailedJobRegistry(queue, { connection }).requeue(id).catch((error: unknown) => {
      if (!(error instanceof DeserializationError)) throw error; // requeued; only reading it back failed
    });
    await refusedAsConflict(requeued);
  }),
  action('requeue-all', ['queue'], async ({ queue }, { connection }) => {
    const { requeued, refused } = await new FailedJobRegistry(queue, { connection }).requeueAll();
    if (refused.length > 0) throw new HttpError(409, `Requeued ${requeued.length} jobs; ${refused.length} could not be requeued and stay failed: ${sample(refused)}`);
  }),
  action('cancel', ['id'], async ({ id }, { connection }) => {
    await refusedAsConflict(cancelJob(id, { connection }));
  }),
  // By id, without reading the job (it may be unreadable or gone); a listed id leaves its list.
  action('delete', ['id', 'queue', 'list'], async ({ id, queue, list }, context, back) => {
    const { connection } = context;
    await deleteJob(connection, id);
    if (isListName(list) && (list === 'queued' || queue !== '')) await takeOut(id, list, queue, context);
    if (back.includes('/jobs/')) return context.link('/');
  }),
  action('stop', ['id', 'worker'], async ({ id, worker }, { connection }) => {
    const job = await fetchJob(id, connection);
    if (job.status !== 'started' || job.workerName !== worker) throw new HttpError(409, `Job ${id} is not running on ${worker} (it is ${job.status ?? 'in no state'}${job.workerName ? `, last on ${job.workerName}` : ''}): nothing to stop.`);
    if ((await sendStopJobCommand(worker, id, { connection })) === 0) throw new HttpError(409, `Worker ${worker} did not receive the stop command: it is not listening (dead, or not subscribed).`);
  }),
  action('empty', ['queue'], async ({ queue }, { connection }) => {
    await new Queue(queue, { connection }).empty();
  }),
  action('suspend', [], async (_, { connection }) => {
    await suspend({ connection });
  }),
  action('resume', [], async (_, { connection }) => {
    await resume({ connection });
  }),
];

/** Takes `id` out of a list: out of a registry, or every copy off the queue (`Queue.remove` takes one; a queue may hold an id twice). */
async function takeOut(id: string, list: ListName, queue: string, { connection }: Context): Promise<void> {
  if (list !== 'queued') {
    await registryOf(list, queue, connection).remove(id);
    return;
  }
  const waiting = new Queue(queue, { connection });
  while (await waiting.remove(id));
}

/** Reads a small urlencoded form body. */
async function readForm(req: IncomingMessage & { body?: unknown }): Promise<URLSearchParams> {
  // A body parser of the host (Express' urlencoded) may have read the form already, into req.body.
  if (req.readableEnded && isRecord(req.body) && !Buffer.isBuffer(req.body)) {
    return new URLSearchParams(Object.entries(req.body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Runs action `name` for a POST; resolves to where the browser goes next. */
export async function runAction(req: IncomingMessage, context: Context, name: string): Promise<string> {
  if (context.readOnly) throw new HttpError(403, 'This dashboard is read-only: it takes no action.');
  checkSameOrigin(req);
  const form = await readForm(req);
  checkToken(form, context);
  const back = safeBack(form.get('back') ?? '', context);
  const found = ACTIONS.find((candidate) => candidate.name === name);
  if (!found) throw new HttpError(404, `No action '${name}'`);
  const fields = Object.fromEntries(found.needs.map((field) => [field, form.get(field) ?? ''])) as Record<Field, string>;
  return (await found.run(fields, context, back)) ?? back;
}
