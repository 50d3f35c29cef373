/**
 * Progress of a long operation (requeue or empty of many jobs): a bar redrawn in place on a
 * terminal, nothing in between otherwise (logs and pipes get the summary line only).
 */

/** Counts steps of `total` and shows them on `stream` when it is a terminal. */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #total: number;
  readonly #label: string;
  #done = 0;
  #lastDraw = 0;

  constructor(stream: NodeJS.WriteStream, total: number, label: string) {
    this.#stream = stream;
    this.#total = total;
    this.#label = label;
  }

  /** One more step done; redraws at most every 50 ms, and at the last step. */
  tick(steps = 1): void {
    this.#done += steps;
    if (!this.#stream.isTTY) return;
    const now = Date.now();
    if (this.#done < this.#total && now - this.#lastDraw < 50) return;
    this.#lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - this.#label.length - 30));
    const filled = this.#total === 0 ? width : Math.round((this.#done / this.#total) * width);
    const percent = this.#total === 0 ? 100 : Math.floor((this.#done / this.#total) * 100);
    this.#stream.write(`\r${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.#total} ${percent}%`);
  }

  /** Ends the bar's line (on a terminal). */
  end(): void {
    if (this.#stream.isTTY && this.#lastDraw > 0) this.#stream.write('\n');
  }
}
