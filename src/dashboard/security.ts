/**
 * What keeps the dashboard's pages and actions to the people meant to use them: the response
 * headers (a Content-Security-Policy that allows no inline script and no framing), HTTP basic
 * auth, and for actions, three checks: the browser says the request comes from this site, the form
 * carries the dashboard's token, and the way back leads to a page of this dashboard only. Secrets
 * are compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentError } from '../index.js';
import { HttpError, type Context } from './context.js';

/** HTTP basic auth credentials. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
}

/**
 * Refuses credentials that would let anyone in: a missing or empty user name or password (such
 * as `process.env.RQ_DASHBOARD_PASSWORD!` while the variable is unset).
 * @throws {InvalidArgumentError}
 */
export function checkAuth(auth: { readonly username: unknown; readonly password: unknown }): void {
  for (const field of ['username', 'password'] as const) {
    const value = auth[field];
    if (typeof value !== 'string' || value === '') {
      throw new InvalidArgumentError(
        `createDashboard: auth.${field} is ${value === '' ? 'empty' : `missing (${String(value)})`}: give a non-empty ${field}, or leave auth out for no login. (Is the variable it comes from set?)`,
      );
    }
  }
  if ((auth.username as string).includes(':')) throw new InvalidArgumentError("createDashboard: auth.username cannot contain ':' (HTTP basic auth splits user and password there).");
}

/** Whether the request carries these credentials (HTTP basic auth). */
export function isAuthorized(req: IncomingMessage, auth: Credentials): boolean {
  const header = req.headers.authorization ?? '';
  if (!/^basic /i.test(header)) return false;
  return sameSecret(Buffer.from(header.slice(6), 'base64').toString('utf8'), `${auth.username}:${auth.password}`);
}

/**
 * Refuses a request from other sites: the browser says where a request comes from
 * (Sec-Fetch-Site, and Origin where it sends no Sec-Fetch-Site), and only our pages hold the
 * token. Behind a proxy that rewrites Host, Sec-Fetch-Site: same-origin is what tells.
 * @throws {HttpError} 403
 */
export function checkSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'Cross-site request refused.');
  } else if (req.headers.origin !== undefined && req.headers.origin !== 'null') {
    let host: string;
    try {
      host = new URL(req.headers.origin).host;
    } catch {
      throw new HttpError(403, 'Malformed Origin: request refused.');
    }
    if (host !== req.headers.host) throw new HttpError(403, 'Cross-origin request refused.');
  }
}

/** @throws {HttpError} 403 when the form does not carry the dashboard's token. */
export function checkToken(form: URLSearchParams, context: Context): void {
  if (!sameSecret(form.get('csrf') ?? '', context.token)) throw new HttpError(403, 'Missing or wrong form token: reload the page and try again.');
}

/** Where an action sends the browser back: a page of this dashboard only, in plain characters. */
export function safeBack(back: string, context: Context): string {
  const home = context.link('/');
  if (!/^\/[A-Za-z0-9/_.~%?=&+:@-]*$/.test(back) || back.startsWith('//')) return home;
  if (context.base !== '' && back !== context.base && !back.startsWith(`${context.base}/`) && !back.startsWith(`${context.base}?`)) return home;
  return back;
}

/** Whether two secrets are equal, in a time that does not tell how much of them is. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
