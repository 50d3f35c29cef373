/**
 * A sleep that something else can end early. rq-ts' loops sleep between passes (a worker until a
 * slot frees or a backoff ends, a cron scheduler until its next run, `rq info --interval` until
 * its next frame), and a stop, a freed slot or a signal must not wait for the sleep to run out.
 */

/** One sleep at a time, which {@link Wakeable.wake} ends at once. */
export class Wakeable {
  #wake: (() => void) | undefined;

  /** Resolves after `ms` milliseconds, or at the next {@link Wakeable.wake}; without `ms`, only then. */
  sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const wake = this;
      function done(): void {
        clearTimeout(timer);
        if (wake.#wake === done) wake.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  /** Ends the sleep under way now; does nothing when there is none. */
  wake(): void {
    this.#wake?.();
  }
}
