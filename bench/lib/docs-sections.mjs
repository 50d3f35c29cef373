/**
 * Sections of docs/benchmarks.md written by different runs: `npm run bench` writes the page,
 * `npm run bench -- --cluster` its "Redis Cluster" section and `npm run bench:parts` its "Where a
 * job's time goes" section, each between HTML comments that mark it, so that each run rewrites its
 * own part and keeps the others'.
 */

/** The command that writes each section. */
const WRITERS = { cluster: 'npm run bench -- --cluster', parts: 'npm run bench:parts' };

const start = (name) => `<!-- ${name}: written by ${WRITERS[name]} -->`;
const end = (name) => `<!-- /${name} -->`;

/** Section `name` of `text` with its markers, or undefined when the text has none. */
export function readSection(text, name) {
  const from = text.indexOf(start(name));
  const to = text.indexOf(end(name), from);
  return from >= 0 && to >= 0 ? text.slice(from, to + end(name).length) : undefined;
}

/**
 * `text` with section `name` set to `body`: in place of the old one, else before the line
 * `beforeHeading`, else at the end.
 */
export function putSection(text, name, body, beforeHeading) {
  return place(text, name, `${start(name)}\n${body.trim()}\n${end(name)}`, beforeHeading);
}

/** `text` with section `name` of `oldText`, placed as {@link putSection} does; `text` itself when `oldText` has none. */
export function keepSection(text, oldText, name, beforeHeading) {
  const section = readSection(oldText, name);
  return section ? place(text, name, section, beforeHeading) : text;
}

function place(text, name, section, beforeHeading) {
  const old = readSection(text, name);
  if (old) return text.replace(old, () => section);
  const at = text.indexOf(`\n${beforeHeading}\n`);
  if (at >= 0) return `${text.slice(0, at + 1)}${section}\n\n${text.slice(at + 1)}`;
  return `${text.trimEnd()}\n\n${section}\n`;
}
