#!/usr/bin/env node
/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --profile`): the
 * functions with the most self time, and the time spent under each rq-ts source file.
 *
 *   node bench/profile-summary.mjs bench/results/profiles [--top 25]
 *   node bench/profile-summary.mjs some.cpuprofile
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;
if (args.length === 0) {
  console.error('Usage: node bench/profile-summary.mjs <profile file or directory>... [--top N]');
  process.exit(2);
}

const files = args.flatMap((path) => (statSync(path).isDirectory() ? readdirSync(path).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(path, name)) : [path]));

function where(frame) {
  const url = frame.url.replace(/^file:\/\//, '');
  const short = url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url.includes('/dist/') ? `dist/${url.split('/dist/').pop()}` : url || '(native)';
  return `${short}:${frame.lineNumber + 1}`;
}

function summarize(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const self = new Map();
  const byFile = new Map();
  for (const [id, count] of hits) {
    const node = nodes.get(id);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame)}`;
    self.set(name, (self.get(name) ?? 0) + count);
    // Inclusive time per rq-ts dist file: count each sample once per file on its stack.
    const seen = new Set();
    for (let cursor = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const url = nodes.get(cursor).callFrame.url;
      if (url.includes('/dist/') && !url.includes('/node_modules/')) {
        const key = `dist/${url.split('/dist/').pop()}`;
        if (!seen.has(key)) {
          seen.add(key);
          byFile.set(key, (byFile.get(key) ?? 0) + count);
        }
      }
    }
  }
  const percent = (count) => `${((count / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${basename(file)}: ${total} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s`, '  self time:'];
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${percent(count)}  ${name}`);
  lines.push('  inclusive time under rq-ts files:');
  for (const [name, count] of [...byFile].sort((a, b) => b[1] - a[1])) lines.push(`  ${percent(count)}  ${name}`);
  return lines.join('\n');
}

for (const file of files) console.log(`${summarize(file)}\n`);
