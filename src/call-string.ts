/**
 * RQ's default job description: the call as Python would print it, `tasks.add(2, y=3)`, with
 * each argument's repr cut at 75 characters. Pure functions, no Redis.
 */

/** Longest repr of one argument in a description, as RQ's `truncate_long_string`. */
const MAX_ARGUMENT_LENGTH = 75;

/** `funcName(arg, ..., key=value)` with Python reprs, as RQ's `get_call_string`. */
export function callString(funcName: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): string {
  const parts = [
    ...args.map((arg) => truncate(pythonRepr(arg))),
    ...Object.entries(kwargs).map(([key, value]) => `${key}=${truncate(pythonRepr(value))}`),
  ];
  return `${funcName}(${parts.join(', ')})`;
}

function truncate(text: string): string {
  return text.length > MAX_ARGUMENT_LENGTH ? `${text.slice(0, MAX_ARGUMENT_LENGTH)}...` : text;
}

/** Python's repr of a JSON value: `'text'`, `True`, `None`, `[1, 2]`, `{'a': 1}`. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  if (typeof value === 'string') return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${pythonStringRepr(key)}: ${pythonRepr(item)}`).join(', ')}}`;
  }
  return pythonStringRepr(String(value));
}

function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t')
    .replaceAll(quote, `\\${quote}`);
  return quote + escaped + quote;
}
