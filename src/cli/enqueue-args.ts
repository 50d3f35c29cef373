/**
 * The arguments of `rq enqueue FUNCTION [ARGS...]`, in RQ's syntax (rq/cli/helpers.py
 * parse_function_arg), read into positional args and keyword args:
 *   value        a string             key=value     a keyword string
 *   :json        a JSON value         key:=json     a keyword JSON value
 *   @file        a file's text        key=@file, :@file, key:=@file: the same, from a file
 *   %literal, key%=literal: Python literals (ast.literal_eval), which only Python can read:
 *   refused with what to write instead.
 * Pure but for reading the @files it is given a reader for.
 */
import type { Kwargs } from '../index.js';
import { UsageError } from './shared.js';

/** What the arguments say: the call's positional and keyword arguments. */
export interface FunctionArguments {
  readonly args: unknown[];
  readonly kwargs: Kwargs;
}

type Mode = 'text' | 'json' | 'literal';

/** One part of a dotted function name: an identifier, as Python and JavaScript both spell them. */
const NAME_PART = /^[\p{L}_$][\p{L}\p{N}_$]*$/u;

/**
 * Refuses a FUNCTION that no worker could call: a dotted name is identifiers joined by dots
 * (`tasks.sendEmail`, `app.jobs.Mailer.send`), as RQ's workers and rq-ts' import them.
 * @throws {UsageError}
 */
export function checkFunctionName(name: string): void {
  if (!name.split('.').every((part) => NAME_PART.test(part))) {
    throw new UsageError(`FUNCTION '${name}' is not a function name: give the dotted name a worker knows, such as tasks.sendEmail.`);
  }
}

/**
 * Reads the arguments. `readFile` returns a file's text, or throws when it cannot be read.
 * @throws {UsageError} naming the argument that is wrong and why.
 */
export function parseFunctionArgs(argv: readonly string[], readFile: (path: string) => string): FunctionArguments {
  const args: unknown[] = [];
  const kwargs: Kwargs = {};
  for (const argument of argv) {
    const position = args.length + 1;
    const { keyword, mode, text } = split(argument);
    const what = keyword === undefined ? `argument ${position} ('${argument}')` : `keyword argument '${keyword}'`;
    if (mode === 'literal') {
      throw new UsageError(`${what}: '%' marks a Python literal, which rq-ts cannot read. Write it as JSON instead: ${keyword === undefined ? ':' : `${keyword}:=`}<json> (for example :'[1, 2]' or ${keyword ?? 'key'}:='{"a": 1}').`);
    }
    let value: string = text;
    if (value.startsWith('@')) {
      const path = value.slice(1);
      try {
        value = readFile(path);
      } catch (error) {
        throw new UsageError(`${what}: cannot read the file '${path}' (${(error as Error).message}).`);
      }
    }
    let parsed: unknown = value;
    if (mode === 'json') {
      try {
        parsed = JSON.parse(value);
      } catch (error) {
        throw new UsageError(`${what}: not valid JSON (${(error as Error).message}). Quote JSON strings: :'"text"'.`);
      }
    }
    if (keyword === undefined) {
      args.push(parsed);
    } else {
      if (Object.hasOwn(kwargs, keyword)) throw new UsageError(`keyword argument '${keyword}' is given twice.`);
      kwargs[keyword] = parsed;
    }
  }
  return { args, kwargs };
}

/** RQ's reading of one argument: a leading ':' or '%', else a first '=' with ':' or '%' before it. */
function split(argument: string): { keyword: string | undefined; mode: Mode; text: string } {
  if (argument.startsWith(':')) return { keyword: undefined, mode: 'json', text: argument.slice(1) };
  if (argument.startsWith('%')) return { keyword: undefined, mode: 'literal', text: argument.slice(1) };
  const equals = argument.indexOf('=');
  if (equals <= 0) return { keyword: undefined, mode: 'text', text: argument };
  const text = argument.slice(equals + 1);
  if (argument.indexOf(':') + 1 === equals) return { keyword: argument.slice(0, equals - 1), mode: 'json', text };
  if (argument.indexOf('%') + 1 === equals) return { keyword: argument.slice(0, equals - 1), mode: 'literal', text };
  return { keyword: argument.slice(0, equals), mode: 'text', text };
}
