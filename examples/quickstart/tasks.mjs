// Job functions for the quick start. A worker started with `--path examples/quickstart` finds
// `tasks.countWords` here: module `tasks`, export `countWords`, as Python RQ finds `tasks.count_words`.

/** Counts the words of a text. */
export function countWords(text) {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Waits a little, then returns a greeting: an async job. */
export async function greet(name, options = {}) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return `${options.greeting ?? 'Hello'}, ${name}!`;
}
