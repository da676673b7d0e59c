/**
 * Who may use the dashboard: whoever holds the token printed at start, through a browser that
 * thinks it is talking to this dashboard. Three checks, in order, on every request:
 *
 * 1. Host: one of the loopback names for this very port. A page on another site that rebinds its
 *    own name to 127.0.0.1 (DNS rebinding) still sends its own name as Host, and is refused.
 * 2. Origin, when sent: this dashboard's own. A page elsewhere that posts to it (CSRF) is refused
 *    before the token is even read.
 * 3. The token, as `Authorization: Bearer <token>` or `?token=<token>`: without it 401, with a
 *    wrong one 403. Another local user can reach the port, not the token (Jupyter's model).
 *
 * No cookie carries the token: browsers share cookies across the ports of one host, so any other
 * local server on 127.0.0.1 would be sent it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type Verdict =
  { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

export interface Guard {
  readonly token: string;
  check(request: { readonly url?: string | undefined; readonly headers: IncomingHttpHeaders }): Verdict;
}

/** 32 random bytes, URL-safe: 256 bits nobody guesses. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The names a browser on this machine may use for the dashboard's address. */
function loopbackNames(address: string): string[] {
  const names = new Set(['localhost', '127.0.0.1', '[::1]']);
  names.add(address.includes(':') ? `[${address}]` : address);
  return [...names];
}

export function makeGuard(options: { readonly token: string; readonly address: string; readonly port: number }): Guard {
  const { token, port } = options;
  const hosts = new Set(loopbackNames(options.address).map((name) => `${name}:${port}`));
  const origins = new Set([...hosts].map((host) => `http://${host}`));
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(token);
  const matches = (given: string) => timingSafeEqual(digest(given), expected);

  return {
    token,
    check({ url, headers }) {
      const host = headers.host?.toLowerCase();
      if (!host || !hosts.has(host))
        return { ok: false, status: 403, reason: `Host "${host ?? ''}" is not this dashboard (DNS rebinding?)` };
      const origin = headers.origin;
      if (origin !== undefined && !origins.has(origin.toLowerCase()))
        return { ok: false, status: 403, reason: `Origin "${origin}" is not this dashboard (cross-site request?)` };
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
      const given = bearer ?? new URL(url ?? '/', 'http://dashboard').searchParams.get('token') ?? undefined;
      if (given === undefined)
        return { ok: false, status: 401, reason: 'the token is missing (?token= or Authorization: Bearer)' };
      if (!matches(given)) return { ok: false, status: 403, reason: 'the token is wrong' };
      return { ok: true };
    },
  };
}
