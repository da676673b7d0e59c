/**
 * The dashboard: a local web application over one running plan, seen only through the engine
 * contract (engine.ts), so it serves the built-in sandbox and any other engine alike. A JSON API
 * and a live event stream (Server-Sent Events) sit under the page, and the page uses nothing
 * else; scripts use the same API (docs/dashboard.md lists every endpoint).
 *
 * Loopback only, with a token (guard.ts) on every request, and assets from this package only:
 * the page, Preact and htm are served from disk, nothing is fetched from elsewhere.
 *
 *   await using dashboard = await startDashboard({ engine, address: '127.0.0.1', port: 0 });
 *   console.log(dashboard.url); // http://127.0.0.1:PORT/?token=...
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ResourceError, UnknownNameError } from '../errors.js';
import type { RunningPlan } from '../sandbox/engine.js';
import { makeGuard, newToken } from './guard.js';
import { journeyOf } from './journey.js';
import { MailboxReader } from './mailboxes.js';
import { Recorder, type StreamEvent } from './recorder.js';
import { VerifyFeed } from './verify-feed.js';

export interface DashboardOptions {
  readonly engine: RunningPlan;
  /** A loopback address; default 127.0.0.1. */
  readonly address?: string;
  /** 0 (the default) picks one. */
  readonly port?: number;
  /** Default: a new random one. */
  readonly token?: string;
  /** Shows verify's progress (mxplan verify --ui). */
  readonly verify?: boolean;
}

export interface Dashboard extends AsyncDisposable {
  readonly address: string;
  readonly port: number;
  readonly token: string;
  /** Where to open it, token included. */
  readonly url: string;
  /** Verify's progress, when started with `verify`. */
  readonly verify: VerifyFeed | undefined;
  /** The engine has stopped (verify finished): the page says so, host actions are refused. */
  engineClosed(): void;
  close(): Promise<void>;
}

const ASSETS = new URL('../../assets/dashboard/', import.meta.url);
const HOST_ACTIONS = ['down', 'up', 'cut', 'retry'] as const;
type HostAction = (typeof HOST_ACTIONS)[number];

/** The page's own files, and the two libraries it imports, by the name the page asks for. */
const FILES: Readonly<Record<string, { readonly url: () => URL; readonly type: string }>> = {
  'app.js': { url: () => new URL('app.js', ASSETS), type: 'text/javascript' },
  'style.css': { url: () => new URL('style.css', ASSETS), type: 'text/css' },
  'preact.js': { url: () => new URL(import.meta.resolve('preact')), type: 'text/javascript' },
  'hooks.js': { url: () => new URL(import.meta.resolve('preact/hooks')), type: 'text/javascript' },
  'htm.js': { url: () => new URL(import.meta.resolve('htm')), type: 'text/javascript' },
};

/** An error with the HTTP status it answers. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { engine } = options;
  const address = options.address ?? '127.0.0.1';
  if (!isLoopback(address)) throw new ResourceError(`the dashboard listens on loopback only, not on ${address}`);
  const token = options.token ?? newToken();
  const recorder = new Recorder();
  const verify = options.verify ? new VerifyFeed((update) => recorder.announce('verify', update)) : undefined;
  const mailboxes = new MailboxReader(engine.plan, (id) => engine.maildirRoot(id));
  const removals = [
    engine.onActivity((a) => recorder.recordActivity(a)),
    engine.onDnsQuery((q) => recorder.recordQuery(q)),
  ];
  let closed = false;
  let diagram: Promise<string> | undefined;

  const known = (id: string) => {
    if (!engine.hosts.has(id)) throw new HttpError(404, `no planned host "${id}"`);
    return id;
  };
  const hostSummary = async (id: string) => {
    const endpoint = engine.hosts.get(id)!;
    const host = engine.plan.hosts.get(id)!;
    const queue = closed ? undefined : await engine.queued(id).catch(() => undefined);
    return {
      id,
      fqdn: endpoint.fqdn,
      role: host.role,
      planned: endpoint.planned,
      status: engine.status(id),
      queue: queue ? queue.length : null,
      services: endpoint.services,
    };
  };
  const act = async (id: string, action: HostAction) => {
    if (closed) throw new HttpError(409, 'the running plan has stopped');
    if (action === 'retry') await engine.retryNow(id);
    else await engine[action](id);
    return hostSummary(id);
  };

  /** GET and POST routes of the API: the path's parts after /api/, and the query. */
  const api = async (method: string, parts: string[], query: URLSearchParams): Promise<unknown> => {
    const [head, id, sub, address, file] = parts;
    const get = method === 'GET' || method === 'HEAD';
    if (get && head === 'engine' && parts.length === 1)
      return { name: engine.name, dns: engine.dns, closed, verify: verify !== undefined, file: engine.plan.file };
    if (get && head === 'plan' && parts.length === 1) return planSummary(engine);
    if (get && head === 'plan' && id === 'diagram' && parts.length === 2) {
      diagram ??= (async () => {
        const [{ planGraph }, { toSvg }] = await Promise.all([import('../graph/model.js'), import('../graph/svg.js')]);
        return toSvg(planGraph(engine.plan));
      })();
      return { svg: await diagram };
    }
    if (get && head === 'hosts' && parts.length === 1)
      return Promise.all([...engine.hosts.keys()].map((h) => hostSummary(h)));
    if (head === 'hosts' && id !== undefined) {
      known(id);
      if (get && parts.length === 2) return hostSummary(id);
      if (method === 'POST' && parts.length === 3 && (HOST_ACTIONS as readonly string[]).includes(sub!))
        return act(id, sub as HostAction);
      if (get && sub === 'queue' && parts.length === 3)
        return { status: engine.status(id), messages: closed ? null : ((await engine.queued(id)) ?? null) };
      if (get && sub === 'mailboxes' && parts.length <= 5) {
        const found =
          parts.length === 3
            ? await mailboxes.mailboxes(id)
            : parts.length === 4
              ? await mailboxes.messages(id, address!)
              : await mailboxes.message(id, address!, file!);
        if (found === undefined) throw new HttpError(404, 'no such mailbox or message');
        return found;
      }
    }
    if (method === 'POST' && head === 'retry' && parts.length === 1) {
      if (closed) throw new HttpError(409, 'the running plan has stopped');
      await engine.retryNow();
      return { retrying: true };
    }
    if (get && head === 'activity' && parts.length === 1)
      return recorder.activitiesSince(count(query, 'since', 0), count(query, 'limit', 1000));
    if (get && head === 'dns' && parts.length === 1)
      return recorder.queriesSince(count(query, 'since', 0), count(query, 'limit', 1000));
    if (get && head === 'journey' && parts.length === 1) {
      const messageId = query.get('message-id');
      const host = query.get('host');
      const queueId = query.get('queue');
      const start = messageId ? { messageId } : host && queueId ? { host, queueId } : undefined;
      if (!start) throw new HttpError(400, 'give ?message-id=<...> or ?host=<id>&queue=<queue id>');
      const journey = journeyOf(recorder, engine.plan, start);
      if (!journey) throw new HttpError(404, 'no activity of that message has been seen');
      return journey;
    }
    if (get && head === 'verify' && parts.length === 1) {
      if (!verify) throw new HttpError(404, 'this dashboard is not showing a verify run');
      return verify.snapshot();
    }
    throw new HttpError(get || method === 'POST' ? 404 : 405, `no ${method} /api/${parts.join('/')}`);
  };

  const streams = new Set<ServerResponse>();
  const stream = (request: IncomingMessage, response: ServerResponse, query: URLSearchParams) => {
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8' });
    response.write('retry: 1000\n\n');
    streams.add(response);
    const lastId = request.headers['last-event-id'] ?? query.get('since') ?? undefined;
    const send = (event: StreamEvent) => {
      // A reader that stopped reading is dropped, not buffered for without end; it reconnects.
      if (response.writableLength > 4 * 1024 * 1024) return response.destroy();
      response.write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`);
    };
    const unsubscribe = recorder.subscribe(send, lastId !== undefined ? Number(lastId) || 0 : undefined);
    const ping = setInterval(() => response.write(': ping\n\n'), 15_000);
    response.on('close', () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(response);
    });
  };

  let guard = makeGuard({ token, address, port: options.port ?? 0 });
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const verdict = guard.check(request);
    if (!verdict.ok) {
      const headers: Record<string, string> =
        verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="mxplan dashboard"' } : {};
      return send(response, verdict.status, { error: verdict.reason }, headers);
    }
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (path === '/' && (method === 'GET' || method === 'HEAD')) return sendPage(response, token);
    if (path.startsWith('/assets/') && (method === 'GET' || method === 'HEAD')) {
      const file = FILES[path.slice('/assets/'.length)];
      if (!file) return send(response, 404, { error: 'no such asset' });
      response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': `${file.type}; charset=utf-8` });
      return response.end(await readFile(fileURLToPath(file.url())));
    }
    if (path === '/api/events' && method === 'GET') return stream(request, response, url.searchParams);
    if (!path.startsWith('/api/')) return send(response, 404, { error: `no ${path}` });
    try {
      const parts = path
        .slice('/api/'.length)
        .split('/')
        .filter((p) => p !== '')
        .map(decodePart);
      if (parts[0] === 'hosts' && parts[2] === 'mailboxes' && parts[5] === 'raw' && parts.length === 6) {
        known(parts[1]!);
        const bytes = await mailboxes.raw(parts[1]!, parts[3]!, parts[4]!);
        if (!bytes) return send(response, 404, { error: 'no such message' });
        response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
        return response.end(bytes);
      }
      return send(response, 200, await api(method, parts, url.searchParams));
    } catch (error) {
      if (error instanceof HttpError) return send(response, error.status, { error: error.message });
      if (error instanceof UnknownNameError) return send(response, 404, { error: error.message });
      if (error instanceof ResourceError) return send(response, 409, { error: error.message });
      throw error;
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ResourceError(
          `the dashboard cannot listen on ${hostPort(address, options.port ?? 0)}: ${error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 0, address, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  guard = makeGuard({ token, address, port });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const remove of removals) remove();
      for (const response of streams) response.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    })());
  return {
    address,
    port,
    token,
    url: `http://${hostPort(address, port)}/?token=${token}`,
    verify,
    engineClosed() {
      closed = true;
      recorder.announce('engine', { closed: true });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The plan as the page needs it: hosts, domains with their MX, users with their homes, aliases. */
function planSummary(engine: RunningPlan) {
  const { plan } = engine;
  return {
    file: plan.file,
    hosts: [...plan.hosts.values()].map((h) => ({ id: h.id, fqdn: h.fqdn, role: h.role, ipv4: h.ipv4, ipv6: h.ipv6 })),
    domains: [...plan.domains.values()].map((d) => ({
      name: d.name,
      nullMx: d.nullMx,
      mx: d.mx.map((m) => ({ preference: m.preference, exchange: m.exchange, host: m.host?.id ?? null })),
      users: [...d.users.values()].map((u) => ({ address: u.address, home: u.homeId })),
      aliases: [...d.aliases.values()].map((a) => ({ address: a.address, members: a.members.map((m) => m.address) })),
    })),
  };
}

/** Every answer: nothing cached, no referrer (the URL holds the token), no framing, no sniffing. */
const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(`${JSON.stringify(body ?? null)}\n`);
}

/**
 * The page: an import map naming the libraries (each URL with the token, as every request needs
 * it), the style sheet and the application. The Content-Security-Policy allows this page's own
 * files and, inline, only this import map (by its hash).
 */
function sendPage(response: ServerResponse, token: string): void {
  const t = encodeURIComponent(token);
  const importMap = JSON.stringify({
    imports: {
      preact: `/assets/preact.js?token=${t}`,
      'preact/hooks': `/assets/hooks.js?token=${t}`,
      htm: `/assets/htm.js?token=${t}`,
    },
  });
  const hash = createHash('sha256').update(importMap).digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mxplan dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css?token=${t}">
<script type="importmap">${importMap}</script>
<script type="module" src="/assets/app.js?token=${t}"></script>
</head>
<body><div id="app"><p class="loading">Loading the dashboard…</p></div></body>
</html>
`;
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp,
  });
  response.end(html);
}

/** A path segment, percent-decoded (RFC 3986 §2.1); a malformed one is the client's error. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, `malformed path segment "${part}"`);
  }
}

/** A whole number from the query, or its default. */
function count(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw new HttpError(400, `${name} takes a whole number, not "${text}"`);
  return Number(text);
}

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
