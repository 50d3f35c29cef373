/**
 * A worker's ear for commands (commands.ts), as RQ's worker listens: each slot's channel
 * `rq:pubsub:<slot>`, on a connection of its own that ioredis resubscribes after a reconnect.
 * `shutdown` stops the worker warm; `kill-horse` interrupts the slot's job, whatever it is;
 * `stop-job` interrupts it only when it is the job named. Commands from Python RQ's
 * `send_*_command` and from rq-ts' are the same.
 */
import { parseCommand, type WorkerCommand } from '../commands.js';
import type { RedisConnection } from '../connection.js';
import { JobStoppedError } from '../errors.js';
import { workerCommandsChannel } from '../keys.js';
import { duplicateConnection } from '../redis-client.js';
import { scrubConnectionErrors } from '../redis-errors.js';
import type { Slot } from './slots.js';

/** What the listener needs of its worker. */
export interface CommandHost {
  /** A command arrived for the slot (the worker emits `command:received`). */
  received(command: WorkerCommand, slot: Slot): void;
  /** The `shutdown` command: a warm stop. */
  shutdown(): void;
  /** Whether the worker is stopping: a failed subscribe is not tried again then. */
  isStopping(): boolean;
  /** Reports an error that does not stop the worker. */
  report(error: unknown): void;
}

/** Listens to the commands sent to a worker's slots while it works. */
export class CommandListener {
  readonly #connection: RedisConnection;
  readonly #name: string;
  readonly #slots: readonly Slot[];
  readonly #host: CommandHost;
  #subscriber: RedisConnection | undefined;

  constructor(connection: RedisConnection, name: string, slots: readonly Slot[], host: CommandHost) {
    this.#connection = connection;
    this.#name = name;
    this.#slots = slots;
    this.#host = host;
  }

  /** Subscribes to the slots' channels; a failed subscribe is reported and tried again each second. */
  async listen(): Promise<void> {
    const subscriber = duplicateConnection(this.#connection, { maxRetriesPerRequest: null, connectionName: `${this.#name}:commands` });
    subscriber.on('error', () => undefined); // reconnects and resubscribes by itself
    scrubConnectionErrors(subscriber);
    subscriber.on('message', (channel: string, payload: string) => {
      const slot = this.#slots.find((candidate) => workerCommandsChannel(candidate.name) === channel);
      const command = parseCommand(payload);
      if (slot && command) this.#obey(command, slot);
    });
    this.#subscriber = subscriber;
    const channels = this.#slots.map((slot) => workerCommandsChannel(slot.name));
    const attempt = async (): Promise<void> => {
      try {
        await subscriber.subscribe(...channels); // ioredis subscribes again by itself after a reconnect
      } catch (error) {
        this.#host.report(error);
        if (!this.#host.isStopping() && this.#subscriber === subscriber) setTimeout(() => void attempt(), 1000).unref();
      }
    };
    await attempt();
  }

  /** Stops listening: closes the connection. */
  close(): void {
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }

  #obey(command: WorkerCommand, slot: Slot): void {
    this.#host.received(command, slot);
    const running = slot.running;
    switch (command.command) {
      case 'shutdown':
        this.#host.shutdown();
        break;
      case 'kill-horse':
        running?.interruption.interrupt(new Error(`Work-horse terminated: kill-horse command to ${slot.name} while it ran job ${running.id}.`));
        break;
      case 'stop-job':
        if (running?.id === command.job_id) running.interruption.interrupt(new JobStoppedError('Job stopped by user, work-horse terminated.'));
        break;
    }
  }
}
