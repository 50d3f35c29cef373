// Copies the non-TypeScript files that the compiled code reads at run time (the Lua scripts)
// from a source tree to a build tree: `node tools/copy-assets.mjs src dist`.
import { cpSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: node tools/copy-assets.mjs <from> <to>');
  process.exit(2);
}
const dir = join(from, 'scripts');
mkdirSync(join(to, 'scripts'), { recursive: true });
for (const name of readdirSync(dir)) {
  if (name.endsWith('.lua')) cpSync(join(dir, name), join(to, 'scripts', name));
}

// The `rq` bin must be executable when run from a checkout (npm sets the bit only on install).
import { chmodSync, existsSync } from 'node:fs';
const bin = join(to, 'cli', 'index.js');
if (existsSync(bin)) chmodSync(bin, 0o755);
