/**
 * What every page, JSON answer and action of the dashboard is given and may throw: the Context of
 * one request (the selected Redis, how to link inside the dashboard, the address asked for) and
 * HttpError, which the handler turns into the status and message the user sees. Also the reading
 * of the address itself: path segments and page numbers.
 */
import type { RedisConnection } from '../index.js';
import type { Markup } from './html.js';

/** One Redis the dashboard shows. */
export interface DashboardInstance {
  /** What the instance selector shows (never a password: mask URLs). */
  readonly name: string;
  readonly connection: RedisConnection;
}

/** What a page or an action needs. */
export interface Context {
  /** The selected instance's connection. */
  readonly connection: RedisConnection;
  /** An address inside the dashboard, with the instance and the given query parameters. */
  readonly link: (to: string, params?: Record<string, string | number | undefined>) => string;
  readonly url: URL;
  readonly readOnly: boolean;
  /** The form token of this dashboard: only its pages hold it. */
  readonly token: string;
  readonly pageSize: number;
  /** Seconds between the page's refreshes. */
  readonly refreshSeconds: number;
  /** Every instance, for the selector, and the selected one. */
  readonly instances: readonly DashboardInstance[];
  readonly instance: DashboardInstance;
  /** The selected instance's index, when there are several. */
  readonly instanceIndex: number | undefined;
  /** Where the dashboard is mounted (the prefix, after a framework's mount path). */
  readonly base: string;
  /** This page's own address, as the browser sees it: where an action goes back to. */
  readonly here: string;
}

/** A page's answer: its status, title and main part. */
export interface Page {
  readonly status?: number;
  readonly title: string;
  readonly main: Markup;
}

/** A refusal with the HTTP status it answers with; its message is shown to the user. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A path segment of the URL, decoded; a malformed one is the client's error. */
export function segment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `Malformed address: ${text}`);
  }
}

/** The `page` query parameter, from 1; anything that is not a page number is page 1. */
export function pageNumber(url: URL): number {
  const text = url.searchParams.get('page') ?? '1';
  const page = /^\d{1,9}$/.test(text) ? Number(text) : 1;
  return page >= 1 ? page : 1;
}
