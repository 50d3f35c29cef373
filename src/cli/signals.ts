/**
 * Signals to a long-running `rq` command (worker, worker-pool, cron, info --interval, dashboard),
 * counted together: Ctrl-C and `kill` are one request to stop, and asking again means asking more
 * firmly (RQ's worker: warm, then cold). Each command says what its first, second and third
 * signal do.
 */

/** What each signal does; a signal with no step of its own repeats the last one given. */
export interface SignalSteps {
  readonly first: (signal: NodeJS.Signals) => void;
  readonly second?: (signal: NodeJS.Signals) => void;
  readonly third?: (signal: NodeJS.Signals) => void;
}

/** Counts `signals` (SIGINT and SIGTERM unless told) from the moment it is made, and runs a command's step for each. */
export class SignalCounter {
  readonly #steps: SignalSteps;
  readonly #signals: readonly NodeJS.Signals[];
  readonly #listener = (signal: NodeJS.Signals) => this.#receive(signal);
  #count = 0;

  constructor(steps: SignalSteps, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']) {
    this.#steps = steps;
    this.#signals = signals;
    for (const signal of signals) process.on(signal, this.#listener);
  }

  /**
   * A request to stop that came another way (`rq worker`'s pool went away) takes the first
   * signal's place, if no signal came yet: the next signal is then the second.
   */
  countAsFirst(): void {
    this.#count = Math.max(this.#count, 1);
  }

  /** Stops listening: a further signal has Node's default effect, ending the process at once. */
  stop(): void {
    for (const signal of this.#signals) process.off(signal, this.#listener);
  }

  #receive(signal: NodeJS.Signals): void {
    this.#count += 1;
    const { first, second = first, third = second } = this.#steps;
    (this.#count === 1 ? first : this.#count === 2 ? second : third)(signal);
  }
}
