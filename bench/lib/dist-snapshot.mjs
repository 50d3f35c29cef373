/**
 * Copies dist/ for this run's children, so that a rebuild during the run (another terminal's
 * `npm run build`) cannot mix two builds of rq-ts in one table. The copy resolves packages from
 * the root's node_modules, through a link, as dist/ itself does.
 */
import { cpSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Copies `<root>/dist` to `<root>/bench/.rq-ts-dist-<pid>/dist`; returns that directory (remove it at the end). */
export function snapshotDist(root) {
  const dir = join(root, 'bench', `.rq-ts-dist-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
