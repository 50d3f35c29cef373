/**
 * The dashboard's addresses, in one table that its pages and its JSON share: each pattern is
 * written once, with the page it shows (pages.ts) and the JSON it answers under `/api` (api.ts).
 * A pattern's groups are its parameters, URL-decoded before the handler gets them. The queues
 * page is the home page, `/`; its JSON is `/api/queues`.
 */
import { HttpError, segment, type Context, type Page } from './context.js';
import { jobJson, jobStatsJson, listJson, queuesJson, throughputJson, workersJson } from './api.js';
import { limitsJson, limitsPage } from './limits.js';
import { jobPage, listPage, queuesPage, workersPage } from './pages.js';
import { queuePage } from './queue-page.js';

/** An address of the dashboard, and what it answers with. */
interface Route {
  readonly pattern: RegExp;
  /** The HTML page at the address. */
  readonly page?: (context: Context, ...params: string[]) => Promise<Page>;
  /** The JSON at `/api` + the address. */
  readonly json?: (context: Context, ...params: string[]) => Promise<unknown>;
}

const ROUTES: readonly Route[] = [
  { pattern: /^\/$/, page: queuesPage },
  { pattern: /^\/queues$/, json: queuesJson },
  { pattern: /^\/workers$/, page: workersPage, json: workersJson },
  { pattern: /^\/throughput$/, json: throughputJson },
  { pattern: /^\/job-stats$/, json: jobStatsJson },
  { pattern: /^\/limits$/, page: limitsPage, json: limitsJson },
  { pattern: /^\/queues\/([^/]+)$/, page: queuePage },
  { pattern: /^\/queues\/([^/]+)\/([a-z]+)$/, page: listPage, json: listJson },
  { pattern: /^\/jobs\/([^/]+)$/, page: jobPage, json: jobJson },
];

/** The route with a `kind` answer whose pattern matches `path`, and its decoded parameters. */
function find<K extends 'page' | 'json'>(path: string, kind: K): { answer: NonNullable<Route[K]>; params: string[] } | undefined {
  for (const route of ROUTES) {
    const answer = route[kind];
    const match = answer && route.pattern.exec(path);
    if (match) return { answer: answer as NonNullable<Route[K]>, params: match.slice(1).map(segment) };
  }
  return undefined;
}

/** The page at `path`. @throws {HttpError} 404 when there is none. */
export async function pageAt(context: Context, path: string): Promise<Page> {
  const found = find(path, 'page');
  if (!found) throw new HttpError(404, `No page ${path}`);
  return found.answer(context, ...found.params);
}

/** The JSON at `/api` + `path`. @throws {HttpError} 404 when there is none. */
export async function jsonAt(context: Context, path: string): Promise<unknown> {
  const found = find(path, 'json');
  if (!found) throw new HttpError(404, 'Not found');
  return found.answer(context, ...found.params);
}
