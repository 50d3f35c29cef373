// Runs every compiled test file (build/test/**/*.test.js) with node's test runner. Node 20's
// `--test` takes no globs, and given a directory it would also run the harness files.
// Extra arguments are passed to node (e.g. --test-name-pattern=Sentinel); a file path narrows the run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const chosen = args.filter((arg) => arg.endsWith('.test.js'));
const flags = args.filter((arg) => !arg.endsWith('.test.js'));

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return find(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const files = chosen.length > 0 ? chosen : find('build/test').sort();
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=120000', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
