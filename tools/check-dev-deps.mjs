// Run by `npm run prepare` before the build. npm runs `prepare` on `npm ci` and `npm install` in
// this directory, on `npm pack`, and when a project installs rq-ts from git (after installing the
// dev dependencies) or from a directory (without installing anything there). In that last case
// TypeScript is missing and the build would fail with "tsc: not found": say what to do instead.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
try {
  createRequire(import.meta.url).resolve('typescript/package.json');
} catch {
  console.error(`rq-ts: cannot build dist/ in ${root}: its dev dependencies (TypeScript) are not installed.
Run \`npm ci\` there first (it installs them and builds dist/), then install it again;
or install rq-ts from git (npm install git+https://...), which builds it for you.`);
  process.exit(1);
}
