/**
 * The Python peer: Debian's python3-rq (RQ 1.13), run with /usr/bin/python3 (the `python3` on
 * PATH may be another interpreter without it). Interop tests skip, saying why, when it is missing.
 */
import { execFileSync } from 'node:child_process';

/** The interpreter that has Debian's python3-rq. */
export const PYTHON = '/usr/bin/python3';

let available: boolean | undefined;

/** Whether RQ can be imported by {@link PYTHON}. */
export function hasPythonRq(): boolean {
  if (available === undefined) {
    try {
      execFileSync(PYTHON, ['-c', 'import rq'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/** The `skip` option of an interop test: false when python3-rq is there, else the reason. */
export function skipWithoutPythonRq(): false | string {
  return hasPythonRq() ? false : 'python3-rq is not installed (apt-get install -y python3-rq)';
}
