/**
 * `rq info [QUEUES...]`: the queues and workers, once, or redrawn every --interval seconds until
 * SIGINT/SIGTERM (like top). What is shown is gathered and rendered by info-snapshot.ts.
 */
import type { Command } from 'commander';
import { Wakeable, type RedisConnection } from '../../index.js';
import { withOpenConnection } from '../connection.js';
import { gatherInfo, renderInfo, totalJobs, type InfoView } from '../info-snapshot.js';
import { UsageError, colorsFor, requireQueues, sharedOptionsOf, withSharedOptions, type Colors, type SharedFlags, type SharedOptions } from '../shared.js';
import { SignalCounter } from '../signals.js';

interface InfoFlags extends SharedFlags {
  interval?: string;
  raw?: boolean;
  onlyQueues?: boolean;
  onlyWorkers?: boolean;
  byQueue?: boolean;
}

/** Adds `rq info` to the program. */
export function infoCommand(program: Command): void {
  withSharedOptions(program.command('info'))
    .description('Show the queues (jobs waiting, and counts per registry) and the workers; QUEUES only, when given.')
    .argument('[queues...]', 'queue names (default: every queue)')
    .option('-i, --interval <seconds>', 'redraw every this many seconds until Ctrl-C, like top')
    .option('-r, --raw', 'plain lines for scripts: "queue <name> <count>, ...", "worker <name> (...) <state> <queues>. ..."')
    .option('-Q, --only-queues', 'show the queues only')
    .option('-W, --only-workers', 'show the workers only')
    .option('-R, --by-queue', 'show the workers of each queue')
    .action(showInfo);
}

/** How `rq info` shows: once (no interval) or every `interval` seconds. */
interface InfoDisplay {
  readonly queues: readonly string[];
  readonly interval: number | undefined;
  readonly view: InfoView;
  readonly colors: Colors;
}

async function showInfo(queues: string[], flags: InfoFlags): Promise<void> {
  const shared = sharedOptionsOf(flags);
  const interval = flags.interval === undefined ? undefined : Number(flags.interval);
  if (interval !== undefined && !(interval > 0)) throw new UsageError(`--interval must be a number of seconds above 0, got '${flags.interval}'.`);
  const view: InfoView = {
    raw: flags.raw ?? false,
    byQueue: flags.byQueue ?? false,
    show: flags.onlyQueues ? 'queues' : flags.onlyWorkers ? 'workers' : 'both',
    columns: process.stdout.columns ?? 80,
  };
  const display: InfoDisplay = { queues, interval, view, colors: colorsFor(process.stdout) };
  await withOpenConnection(shared, (connection) => drawFrames(connection, shared, display));
}

/** Prints one frame, or frames until a signal: each a fresh snapshot. */
async function drawFrames(connection: RedisConnection, shared: SharedOptions, display: InfoDisplay): Promise<void> {
  const { interval } = display;
  let stopped = false;
  const between = new Wakeable();
  new SignalCounter({
    first: () => {
      stopped = true;
      between.wake();
    },
  });
  for (let frame = 0; !stopped; frame++) {
    const snapshot = await gatherInfo(connection, display.queues, shared.serializer);
    // A queue named here that Redis does not know is a typo, as for rq empty and rq requeue;
    // one that holds jobs (in any registry) or has workers waiting on it is shown, in rq:queues or not.
    const idle = snapshot.queues.filter((queue) => totalJobs(queue) === 0 && (snapshot.workersByQueue.get(queue.name) ?? []).length === 0);
    if (frame === 0) await requireQueues(connection, idle.map((queue) => queue.name), '');
    const lines = renderInfo(snapshot, { ...display.view, columns: process.stdout.columns ?? 80 }, display.colors);
    if (interval === undefined) {
      if (lines.length > 0) console.log(lines.join('\n'));
      break;
    }
    // Redrawn in place on a terminal; one frame after another, a blank line apart, in a pipe.
    const clear = process.stdout.isTTY ? '\u001b[H\u001b[2J' : frame > 0 ? '\n' : '';
    process.stdout.write(`${clear}${lines.join('\n')}\n`);
    if (stopped) break; // Ctrl-C while the frame was gathered: no further wait
    await between.sleep(interval * 1000);
  }
}
