/**
 * The layout rules of the source, checked on the files themselves: a Lua script spells no key, no
 * constant and no failure code (they come from the prelude, written from keys.ts, defaults.ts and
 * errors.ts); no import cycle among src/ modules; no source file over 500 lines and no function
 * over 60 (STYLE.md: past that, split along a role).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from './harness/index.js';

const SRC = join(ROOT, 'src');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

/** A Lua file's code, its comments (`--` lines and `--[[ ]]` blocks) left out. */
function luaCode(text: string): string {
  return text.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');
}

test('no Lua script spells a key, a constant or a failure code', () => {
  const literals: Array<[RegExp, string]> = [
    [/['"]rq:/, 'a key (use the prelude: job_key(id), queue_key(name)...)'],
    [/:dependents|:dependencies/, "a key suffix (use dependents_key(id), dependencies_key(id))"],
    [/MAXLEN['"]?\s*,\s*['"]~['"]\s*,\s*['"]?\d/, 'a MAXLEN (use RESULTS_STREAM_MAXLEN)'],
    [/\b90000\b/, 'a TTL (use THROUGHPUT_TTL)'],
    [/return\s+\{?\s*-\d/, 'a failure code (use FAILURE.<name>)'],
  ];
  const found: string[] = [];
  for (const file of filesUnder(join(SRC, 'scripts'), '.lua')) {
    luaCode(readFileSync(file, 'utf8')).split('\n').forEach((line, index) => {
      for (const [pattern, what] of literals) if (pattern.test(line)) found.push(`${relative(ROOT, file)}:${index + 1}: ${what}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test('src/ has no import cycle (type-only imports aside)', () => {
  const files = filesUnder(SRC, '.ts');
  const imports = new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms)].map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
      return [file, targets.filter((target) => files.includes(target))];
    }),
  );
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    path.push(file);
    for (const target of imports.get(file) ?? []) {
      if (state.get(target) === 'visiting') cycles.push([...path.slice(path.indexOf(target)), target].map((p) => relative(ROOT, p)).join(' -> '));
      else if (!state.has(target)) visit(target);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});

test('no source file over 500 lines, no function over 60', () => {
  const tooLong: string[] = [];
  for (const file of filesUnder(SRC, '.ts')) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length;
    if (lines > 500) tooLong.push(`${relative(ROOT, file)}: ${lines} lines`);
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (last - first + 1 > 60) tooLong.push(`${relative(ROOT, file)}:${first + 1}: a function of ${last - first + 1} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  assert.deepEqual(tooLong, []);
});
