/**
 * HTML with every interpolated value escaped unless it is marked as markup: job data (arguments,
 * meta, error text) goes into pages only through here, so a job cannot inject script into them.
 */

/** Markup built by {@link html}, or trusted with {@link raw}: not escaped again. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Text as HTML text or attribute value: `& < > " '` escaped. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

/** Marks text as markup, unescaped: only for text this module's callers built themselves. */
export function raw(text: string): Markup {
  return new Markup(text);
}

/** A value as it goes into a page: markup as is, arrays joined, null and undefined as nothing, anything else escaped. */
function render(value: unknown): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template: `html\`<td>${job.description}</td>\`` escapes the description. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let text = strings[0]!;
  values.forEach((value, index) => {
    text += render(value) + strings[index + 1]!;
  });
  return new Markup(text);
}
