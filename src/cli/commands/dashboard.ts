/**
 * `rq dashboard`: the web dashboard (rq-ts/dashboard) served by node:http, on loopback unless told
 * otherwise, over this Redis and any others given with --redis. The first SIGINT/SIGTERM closes
 * it; a second ends the process at once.
 */
import type { Command } from 'commander';
import { createServer, type Server } from 'node:http';
import { RQError, maskUrl } from '../../index.js';
import { closeConnection, connect } from '../connection.js';
import { UsageError, collect, sharedOptionsOf, wholeNumber, withSharedOptions, type SharedFlags, type SharedOptions } from '../shared.js';
import { SignalCounter } from '../signals.js';

interface DashboardFlags extends SharedFlags {
  port?: string;
  bind: string;
  readOnly?: boolean;
  auth?: string;
  redis: string[];
}

/** Adds `rq dashboard` to the program. */
export function dashboardCommand(program: Command): void {
  withSharedOptions(program.command('dashboard'))
    .description('Serve the web dashboard: queues, jobs and workers of this Redis (and others given with --redis), with actions.')
    .option('--port <n>', 'port to listen on', '9181')
    .option('--bind <address>', 'address to listen on: loopback unless told otherwise', '127.0.0.1')
    .option('--read-only', 'show everything, allow no action')
    .option('--auth <user:password>', 'ask for these credentials (HTTP basic auth)')
    .option('--redis <url>', 'another Redis to show, selectable in the page (repeatable)', collect, [] as string[])
    .action(serveDashboard);
}

async function serveDashboard(flags: DashboardFlags): Promise<void> {
  const shared = sharedOptionsOf(flags);
  const port = wholeNumber(flags.port, '--port');
  if (port > 65535) throw new UsageError(`--port must be a port number, 0 to 65535, got '${flags.port}'.`);
  const auth = flags.auth === undefined ? undefined : credentialsOf(flags.auth);
  const instances = await openInstances(shared, flags);
  const { createDashboard } = await import('../../dashboard/index.js');
  const handler = createDashboard({ instances, readOnly: flags.readOnly ?? false, ...(auth && { auth }) });
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error) => rejectListen(new RQError(`Cannot listen on ${flags.bind}:${port}: ${error.message}`)));
    server.listen(port, flags.bind, () => resolveListen());
  });
  const loopback = flags.bind === '127.0.0.1' || flags.bind === '::1' || flags.bind === 'localhost';
  if (!loopback && !auth) console.error(`Warning: listening on ${flags.bind} without --auth: anyone who reaches this address can act on your queues${flags.readOnly ? ' (read-only: see them)' : ''}.`);
  console.log(`rq-ts dashboard on http://${flags.bind.includes(':') ? `[${flags.bind}]` : flags.bind}:${(server.address() as { port: number }).port}/${flags.readOnly ? ' (read-only)' : ''}`);
  await closedBySignal(server);
  await Promise.all(instances.map((instance) => closeConnection(instance.connection)));
}

/** --auth's user:password. @throws {UsageError} when either is missing */
function credentialsOf(text: string): { username: string; password: string } {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new UsageError('--auth takes user:password.');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The Redis servers to show: the one the shared options describe, then each --redis; their names never show a password. */
async function openInstances(shared: SharedOptions, flags: DashboardFlags) {
  const main = await connect(shared);
  const others = await Promise.all(flags.redis.map((url) => connect({ flags: { path: flags.path, url }, serializer: shared.serializer })));
  // A page must say at once that a Redis is gone, not after ioredis' 20 reconnection attempts.
  for (const connection of [main, ...others]) Object.assign(connection.options, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  return [
    { name: flags.url !== undefined ? maskUrl(flags.url) : flags.config !== undefined ? `config ${flags.config}` : 'default', connection: main },
    ...flags.redis.map((url, index) => ({ name: maskUrl(url), connection: others[index]! })),
  ];
}

/** Resolves when a signal has closed the server; a second signal ends the process at once (Node's default). */
function closedBySignal(server: Server): Promise<void> {
  return new Promise((closed) => {
    const signals = new SignalCounter({
      first: () => {
        signals.stop();
        server.close(() => closed());
        server.closeAllConnections();
      },
    });
  });
}
