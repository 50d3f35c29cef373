/**
 * Installs the benchmark-only peers (BullMQ, Bee-Queue) into bench/node_modules, exactly as
 * bench/package-lock.json pins them, when they are missing or the lock changed.
 *
 * Why not `npm ci`: it refuses a lock file without entries for every optional platform package,
 * and BullMQ's msgpackr-extract lists platforms whose binaries this machine's registry does not
 * serve, so the lock (made by `npm install` here) cannot hold them. `npm install --no-save`
 * installs what the lock pins and never rewrites it; `--ignore-scripts` skips msgpackr-extract's
 * build step (its prebuilt binary, or msgpackr's pure-JS fallback, is used). After installing, the
 * installed versions are checked against the lock.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = new URL('../', import.meta.url);
const lockUrl = new URL('package-lock.json', benchDir);
const stampUrl = new URL('node_modules/.rq-ts-bench-lock', benchDir);

export const INSTALL_COMMAND = ['npm', 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];

function lockHash() {
  return createHash('sha256').update(readFileSync(lockUrl)).digest('hex');
}

/** The versions the lock pins for the packages bench/package.json names. */
function pinnedVersions() {
  const lock = JSON.parse(readFileSync(lockUrl, 'utf8'));
  const wanted = Object.keys(lock.packages[''].dependencies ?? {});
  return Object.fromEntries(wanted.map((name) => [name, lock.packages[`node_modules/${name}`]?.version]));
}

function installedVersion(name) {
  const url = new URL(`node_modules/${name}/package.json`, benchDir);
  return existsSync(url) ? JSON.parse(readFileSync(url, 'utf8')).version : undefined;
}

function mismatches() {
  return Object.entries(pinnedVersions())
    .filter(([name, version]) => installedVersion(name) !== version)
    .map(([name, version]) => `${name} ${installedVersion(name) ?? 'missing'} (lock: ${version})`);
}

/**
 * Makes sure bench/node_modules holds the locked peers; installs them when not.
 * @param {{ allowed: boolean, log: (line: string) => void }} options
 */
export function ensurePeersInstalled({ allowed, log }) {
  const upToDate = existsSync(stampUrl) && readFileSync(stampUrl, 'utf8') === lockHash() && mismatches().length === 0;
  if (upToDate) return;
  if (!allowed) throw new Error(`BullMQ and Bee-Queue are not installed as bench/package-lock.json pins them (${mismatches().join(', ')}); run without --no-install, or: cd bench && ${INSTALL_COMMAND.join(' ')}`);
  log(`Installing the benchmark peers into bench/node_modules: ${INSTALL_COMMAND.join(' ')}`);
  const result = spawnSync(INSTALL_COMMAND[0], INSTALL_COMMAND.slice(1), { cwd: fileURLToPath(benchDir), stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error || result.status !== 0) throw new Error(`Installing bench peers failed (${result.error?.message ?? `exit ${result.status}`}): see npm's output above.`);
  const wrong = mismatches();
  if (wrong.length > 0) throw new Error(`bench/node_modules does not match bench/package-lock.json after installing: ${wrong.join(', ')}`);
  writeFileSync(stampUrl, lockHash());
}
