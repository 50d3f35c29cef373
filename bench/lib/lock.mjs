/**
 * One measuring run at a time on this machine: two benchmarks at once would slow each other and
 * both tables would be wrong. A run takes bench/.bench.lock (holding its pid); a second run waits
 * until the first ends. A lock whose process is gone is taken over. Smoke runs measure nothing and
 * neither take nor wait for it.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LOCK = fileURLToPath(new URL('../.bench.lock', import.meta.url));
const POLL_MS = 2000;

function holder() {
  try {
    const pid = Number(readFileSync(LOCK, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0); // throws when no such process
    return pid;
  } catch {
    return undefined;
  }
}

/** Removes the lock file unless a live process took it meanwhile. */
function removeStale() {
  if (holder() === undefined) rmSync(LOCK, { force: true });
}

function tryTake() {
  try {
    const fd = openSync(LOCK, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    return false;
  }
}

/**
 * Waits for and takes the lock; resolves to its release function.
 * @param {(line: string) => void} log
 */
export async function takeBenchLock(log) {
  let told = false;
  for (;;) {
    if (tryTake()) break;
    const pid = holder();
    if (pid === undefined) {
      removeStale(); // its run died without releasing it
      continue;
    }
    if (!told) log(`Another benchmark run (pid ${pid}) is measuring on this machine; waiting for it to end.`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return () => {
    if (holder() === process.pid) rmSync(LOCK, { force: true });
  };
}
