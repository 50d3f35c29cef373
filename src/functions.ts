/**
 * Finding a job's function by its dotted name, as RQ's `import_attribute` does, but only inside
 * directories the worker was given (its working directory or `--path` entries): `tasks.add` is the
 * export `add` of `tasks.js` (or `.mjs`/`.cjs`), `app.tasks.add` the export `add` of
 * `app/tasks.js`, and `tasks.Mailer.send` the property `send` of the export `Mailer`. A name that
 * could reach outside those directories or into Node's built-in modules is refused.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UnknownFunctionError } from './errors.js';

/** A job function. It receives the job's args (and, for Python kwargs, a trailing object). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFunction = (...args: any[]) => unknown;

const SEGMENT = /^[A-Za-z_$][\w$]*$/;
const EXTENSIONS = ['.js', '.mjs', '.cjs'];

/**
 * Imports the function named `name` from a module under one of `paths`.
 * @throws {UnknownFunctionError} when the name is malformed, no module under `paths` holds it, or it is not a function.
 */
export async function importFunction(name: string, paths: readonly string[]): Promise<TaskFunction> {
  const segments = name.split('.');
  if (segments.length < 2 || !segments.every((segment) => SEGMENT.test(segment))) {
    throw new UnknownFunctionError(`'${name}' is not a function name rq-ts can import: use module.function, e.g. tasks.sendEmail.`);
  }
  // Longest module path first, as RQ's import_attribute tries the longest importable prefix.
  for (let split = segments.length - 1; split >= 1; split--) {
    const modulePath = join(...segments.slice(0, split));
    for (const dir of paths) {
      const file = EXTENSIONS.map((ext) => resolve(dir, modulePath + ext)).find((candidate) => existsSync(candidate));
      if (file === undefined) continue;
      let value: unknown = await import(pathToFileURL(file).href);
      for (const attribute of segments.slice(split)) {
        value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[attribute];
      }
      if (typeof value === 'function') return value as TaskFunction;
      throw new UnknownFunctionError(`'${name}': ${file} has no function '${segments.slice(split).join('.')}'.`);
    }
  }
  if (paths.length === 0) {
    throw new UnknownFunctionError(`'${name}' is not a known task, and no paths were given to import it from: register it, or give the worker paths.`);
  }
  throw new UnknownFunctionError(
    `'${name}' is not registered with this worker, and no module under ${paths.join(', ')} defines it ` +
      `(looked for ${segments.slice(0, -1).join('/')}{${EXTENSIONS.join(',')}}). Register it with worker.register('${name}', fn), or pass --path.`,
  );
}
