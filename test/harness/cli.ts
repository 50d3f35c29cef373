/**
 * Running the built `rq` bin as a user runs it: a child process of this Node, with a clean
 * environment, and a temporary directory for the files a test writes (config files, modules).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';

/** The repository (tests run from build/test/). */
export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** The built `rq` bin. */
export const RQ_BIN = join(ROOT, 'dist', 'cli', 'index.js');

/** What a finished `rq` run left. */
export interface RqRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `rq ARGS` to its end (30 s at most, then SIGKILL: the code is then null) in `cwd` (default: the repository). The environment is
 * PATH, REDIS_PORT=1 (so a command that forgets -u fails instead of reaching a Redis on 6379) and
 * `env`.
 */
export function runRq(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): RqRun {
  const result = spawnSync(process.execPath, [RQ_BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', REDIS_PORT: '1', ...options.env },
    // SIGKILL: a command that hangs may be one that ignores SIGTERM too.
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A temporary directory for this test file, removed after it; `dir()` is valid inside tests. */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => rmSync(dir!, { recursive: true, force: true }));
  return () => dir!;
}

/** {@link runRq} without blocking the test process, so that several runs go at once. */
export function runRqAsync(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<RqRun> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [RQ_BIN, ...args],
      { cwd: options.cwd ?? ROOT, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', REDIS_PORT: '1', ...options.env }, timeout: 30_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        // A run killed at the timeout has no exit code: null, as spawnSync reports it.
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}
