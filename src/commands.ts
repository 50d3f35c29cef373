/**
 * Commands to workers over pub/sub, as RQ sends them (`rq.command`): a JSON object published on
 * the worker's channel `rq:pubsub:<worker name>`. Fire and forget: a worker that is not listening
 * never sees it. Python RQ workers and rq-ts workers understand the same commands.
 */
import { resolveConnection, type ConnectionOptions } from './connection.js';
import { workerCommandsChannel } from './keys.js';

/** A command a worker understands, as RQ's JSON payload. */
export type WorkerCommand =
  | { command: 'shutdown' }
  | { command: 'kill-horse' }
  | { command: 'stop-job'; job_id: string };

/** Publishes a command on the worker's channel; resolves to the number of listeners that got it. */
export async function sendCommand(workerName: string, command: WorkerCommand, options: ConnectionOptions = {}): Promise<number> {
  const connection = resolveConnection(options.connection, 'sendCommand()');
  return connection.publish(workerCommandsChannel(workerName), JSON.stringify(command));
}

/** Asks worker `workerName` to shut down warmly (finish its jobs, take no more), as RQ's `send_shutdown_command`. */
export function sendShutdownCommand(workerName: string, options: ConnectionOptions = {}): Promise<number> {
  return sendCommand(workerName, { command: 'shutdown' }, options);
}

/** Asks worker `workerName` to kill its work horse (the job it runs), as RQ's `send_kill_horse_command`. */
export function sendKillHorseCommand(workerName: string, options: ConnectionOptions = {}): Promise<number> {
  return sendCommand(workerName, { command: 'kill-horse' }, options);
}

/**
 * Asks worker `workerName` to stop job `jobId`, as RQ's `send_stop_job_command`: the job ends
 * `stopped`, in the failed registry. The worker name is the job's `workerName`.
 */
export function sendStopJobCommand(workerName: string, jobId: string, options: ConnectionOptions = {}): Promise<number> {
  return sendCommand(workerName, { command: 'stop-job', job_id: jobId }, options);
}

/** Reads a command payload; undefined for anything that is not one. */
export function parseCommand(payload: string): WorkerCommand | undefined {
  try {
    const value = JSON.parse(payload) as { command?: unknown; job_id?: unknown };
    if (value.command === 'shutdown' || value.command === 'kill-horse') return { command: value.command };
    if (value.command === 'stop-job' && typeof value.job_id === 'string') return { command: 'stop-job', job_id: value.job_id };
  } catch {
    // not JSON: ignored, as RQ ignores what it cannot parse
  }
  return undefined;
}
