/**
 * Counting what a system asks of Redis (scenario 7), three ways, per phase (enqueue, process):
 *   - round trips: INFO stats' total_reads_processed, the read events Redis handled on client
 *     sockets (a pipeline or MULTI sent at once is one; a blocking command is one);
 *   - commands sent: what clients sent, as MONITOR shows it (a MULTI of 3 commands is 5; a Lua
 *     script is 1);
 *   - commands executed: INFO commandstats' calls, which also count the commands a Lua script runs.
 * The counter's own commands (ECHO markers, INFO) are subtracted; a library's connection set-up
 * (its INFO ready check, CLIENT SETNAME...) is counted, amortized over the jobs.
 */

/** Parses INFO text into { reads, calls: { command: n } }. */
function parseInfo(text) {
  const calls = {};
  let reads = 0;
  for (const line of text.split('\n')) {
    const stat = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (stat) calls[stat[1]] = Number(stat[2]);
    const read = /^total_reads_processed:(\d+)/.exec(line);
    if (read) reads = Number(read[1]);
  }
  return { reads, calls };
}

function subtract(after, before) {
  const calls = {};
  for (const [command, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[command] ?? 0);
    if (delta > 0) calls[command] = delta;
  }
  return { reads: after.reads - before.reads, calls };
}

/** Counts Redis commands between marks: start(first phase), mark(next phase) after each phase, then stop(). */
export class CommandCounter {
  #admin;
  #monitor;
  #adminSource;
  #phase = 'setup';
  #sent = {};
  #markersSeen = 0;
  #snapshot;

  /** @param {() => import('ioredis').Redis} connect a new connection to the benchmark's Redis */
  constructor(connect) {
    this.#admin = connect();
    this.connect = connect;
  }

  /** Resets Redis' statistics and starts phase `firstPhase`. */
  async start(firstPhase) {
    await this.#admin.ping();
    this.#adminSource = `127.0.0.1:${this.#admin.stream.localPort}`;
    this.#monitor = await this.connect().monitor();
    this.#monitor.on('monitor', (_time, args, source) => this.#see(args, source));
    await this.#admin.config('RESETSTAT');
    this.#snapshot = await this.#mark(firstPhase);
  }

  #see(args, source) {
    if (source === this.#adminSource) {
      if (String(args[0]).toLowerCase() === 'echo') {
        this.#markersSeen += 1;
        this.#phase = String(args[1]);
      }
      return;
    }
    if (source === 'lua') return;
    const sent = (this.#sent[this.#phase] ??= {});
    const command = String(args[0]).toLowerCase();
    sent[command] = (sent[command] ?? 0) + 1;
  }

  /** Sends the marker `ECHO <name>` then reads INFO; the marker starts phase `name` in MONITOR's stream. */
  async #mark(name) {
    await this.#admin.echo(name);
    return parseInfo(await this.#admin.info('everything'));
  }

  /**
   * Ends the phase running now (which started at the previous mark) and names the next one.
   * @returns {{ roundTrips: number, executed: Record<string, number> }} what the ended phase did
   */
  async mark(nextPhase) {
    const snapshot = await this.#mark(nextPhase);
    const delta = subtract(snapshot, this.#snapshot);
    this.#snapshot = snapshot;
    // This counter's own: the previous INFO (its ECHO is before the previous snapshot) and this ECHO, one read each.
    delta.reads -= 2;
    for (const own of ['info', 'echo']) {
      delta.calls[own] = (delta.calls[own] ?? 0) - 1;
      if (delta.calls[own] <= 0) delete delta.calls[own];
    }
    return { roundTrips: delta.reads, executed: delta.calls };
  }

  /** Commands sent per phase, once MONITOR has delivered every marker. */
  async stop(markers) {
    const deadline = Date.now() + 10_000;
    while (this.#markersSeen < markers && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.#monitor.disconnect();
    this.#admin.disconnect();
    return this.#sent;
  }
}
