/**
 * Job functions found by name, for the docs examples. A worker given `paths: [<this directory>]`
 * runs a job for `tasks.add` with the export `add` of `tasks.js`, as Python RQ imports
 * `tasks.add`. Compiled by `npm run build:test` to build/examples/docs/jobs/tasks.js.
 */

/** Adds two numbers. */
export function add(a: number, b: number): number {
  return a + b;
}

/** Counts the words of a text. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * Greets someone: an async job. Python keyword arguments (`greeting='Welcome'`, or
 * `kwargs: { greeting: 'Welcome' }` from rq-ts) arrive as a trailing object.
 */
export async function greet(name: string, options: { greeting?: string } = {}): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return `${options.greeting ?? 'Hello'}, ${name}!`;
}
