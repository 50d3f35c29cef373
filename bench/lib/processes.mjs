/**
 * The benchmark's child processes: Node children (bench/child.mjs, one producer or worker each,
 * talking over IPC) and Python children (Python RQ's side). Each has a time limit; all still
 * running are killed when the run ends, fails or is interrupted.
 */
import { fork, spawn } from 'node:child_process';
import { pin } from './pinning.mjs';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../child.mjs', import.meta.url));

/** The interpreter that has Debian's python3-rq (not the `python3` on PATH, which may lack it). */
export const PYTHON = '/usr/bin/python3';

const running = new Set();

/** Kills every child still running (on failure or interruption). */
export function killChildren() {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function track(child, what, timeoutMs) {
  running.add(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, timedOut });
    });
  });
  child.once('error', (error) => {
    clearTimeout(timer);
    running.delete(child);
    child.emit('exit', null, `spawn error: ${error.message} (${what})`);
  });
  return exited;
}

/**
 * Runs `task` in a fresh Node child (bench/child.mjs). The child may send `{ ready: true }` first
 * (resolving `ready`), then sends `{ result }` or `{ error }` and exits. `send` passes a message
 * to the child (`{ go: true }`).
 * @returns {{ ready: Promise<void>, result: Promise<any>, pid: number, send: (message: object) => void }}
 */
export function runNode(task, { timeoutMs, execArgv = [], cpus }) {
  const what = `${task.system} ${task.role}`;
  const child = fork(CHILD, [JSON.stringify(task)], { execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  if (cpus) pin(child.pid, cpus); // before it has loaded anything: its threads start there too
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let markReady;
  const ready = new Promise((resolve) => (markReady = resolve));
  let outcome;
  child.on('message', (message) => {
    if (message.ready) markReady();
    else outcome = message;
  });
  const exited = track(child, what, timeoutMs);
  const result = exited.then(({ code, signal, timedOut }) => {
    if (outcome?.result !== undefined && code === 0) return outcome.result;
    const reason = timedOut ? `timed out after ${timeoutMs / 1000} s` : outcome?.error ?? `exited with ${code ?? signal}`;
    throw new Error(`${what}: ${reason}${stderr.trim() ? `\n${stderr.trim().split('\n').slice(-15).join('\n')}` : ''}`);
  });
  result.catch(() => markReady()); // a child that dies before it is ready releases its waiter
  const send = (message) => {
    if (child.connected) child.send(message);
  };
  return { ready, result, pid: child.pid, send };
}

/**
 * Runs a Python script with {@link PYTHON}; resolves to what it printed on stdout (JSON when
 * `json`), rejects with its stderr when it fails.
 */
export function runPython(args, { timeoutMs, json = true, cwd, cpus }) {
  const child = spawn(PYTHON, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (cpus) pin(child.pid, cpus);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const what = `python ${args.slice(0, 2).join(' ')}`;
  const exited = track(child, what, timeoutMs);
  const result = exited.then(({ code, signal, timedOut }) => {
    if (code === 0 && !timedOut) return json ? JSON.parse(stdout) : stdout;
    const reason = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited with ${code ?? signal}`;
    throw new Error(`${what}: ${reason}\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
  });
  return { result, pid: child.pid };
}
