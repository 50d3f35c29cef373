#!/usr/bin/env node
/**
 * The `rq` command line, as RQ users know it (RQ-REFERENCE.md §1.12): `worker`, `worker-pool`,
 * `info`, `enqueue`, `requeue`, `empty`, `suspend`, `resume`, `cron` and `dashboard`. This file
 * is the program: it gathers the commands (one file each in commands/), runs the one asked for,
 * and ends the process. Exit codes: 0 success, 1 failure, 2 bad usage; every error is one line.
 * Uses only the public API.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../index.js';
import { cronCommand } from './commands/cron.js';
import { dashboardCommand } from './commands/dashboard.js';
import { emptyCommand } from './commands/empty.js';
import { enqueueCommand } from './commands/enqueue.js';
import { infoCommand } from './commands/info.js';
import { requeueCommand } from './commands/requeue.js';
import { resumeCommand } from './commands/resume.js';
import { suspendCommand } from './commands/suspend.js';
import { workerPoolCommand } from './commands/worker-pool.js';
import { workerCommand } from './commands/worker.js';
import { closeAll } from './connection.js';
import { UsageError, tolerateClosedOutput } from './shared.js';

const program = new Command('rq')
  .description('RQ (Redis Queue) for Node.js: run workers on RQ queues, with Python RQ\'s Redis layout.')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

// In this order in `rq --help`. Each adds itself with program.command(), so that it inherits the
// program's exit override and error output.
for (const addCommand of [workerCommand, cronCommand, infoCommand, enqueueCommand, requeueCommand, emptyCommand, workerPoolCommand, dashboardCommand, suspendCommand, resumeCommand]) {
  addCommand(program);
}

tolerateClosedOutput();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(`Error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
} finally {
  await closeAll();
}
exitEvenIfHeld(process.exitCode !== undefined && process.exitCode !== 0);

/**
 * A command that is done has closed what it opened, so the process ends by itself. Should
 * something still hold it, it must not look alive under systemd, Kubernetes or CI while doing
 * nothing: it exits anyway. After a success that is a job module's own handle (a database client
 * or a timer made when it was imported), and it exits at once, quietly; after an error it could be
 * a bug of ours, and it says what held it.
 */
function exitEvenIfHeld(failed: boolean): void {
  setTimeout(() => {
    if (failed) {
      const held = process.getActiveResourcesInfo().filter((resource) => resource !== 'Timeout');
      process.stderr.write(`rq: exiting: still held open after the error (${held.join(', ') || 'timers'}).\n`);
    }
    process.exit();
  }, failed ? 2000 : 0).unref();
}
