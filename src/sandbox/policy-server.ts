/**
 * A web host of the plan as the sandbox runs it: an HTTPS server (node:https) with the web host's
 * certificate, serving the MTA-STS policy of every domain whose policy host it is, at
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3: 200, text/plain, no
 * redirect). The request's Host header (or SNI name) picks the domain; anything else is 404.
 *
 * The policies are the plan's own (tls/mta-sts.ts), or the files of a directory written by
 * `mxplan mta-sts`, read at each request as a web server would: the files about to be deployed,
 * proven against the plan.
 */
import { createServer, type Server } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';
import type { TlsIdentity } from '../tls/pki.js';
import { POLICY_PATH, policyHostName, policyText } from '../tls/mta-sts.js';
import type { Plan, WebHost } from '../topology/types.js';

export interface PolicyServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface PolicyServerOptions {
  readonly plan: Plan;
  readonly web: WebHost;
  readonly identity: TlsIdentity;
  readonly address: string;
  /** 0 (the default) picks one. */
  readonly port?: number;
  /** Serve the files of this directory (`mxplan mta-sts` output) instead of the plan's policies. */
  readonly policyDir?: string;
}

export async function startPolicyServer(options: PolicyServerOptions): Promise<PolicyServer> {
  const { plan, web } = options;
  /** Policy host name -> the plan's policy text, for the domains this web host serves. */
  const served = new Map<string, string>();
  for (const domain of plan.domains.values())
    if (domain.mtaSts?.host === web) served.set(policyHostName(domain.name), policyText(domain.mtaSts));

  const policyFor = async (hostName: string): Promise<string | undefined> => {
    if (!served.has(hostName)) return undefined;
    if (options.policyDir === undefined) return served.get(hostName);
    return readFile(join(options.policyDir, `${hostName}.txt`), 'utf8').catch(() => undefined);
  };

  const server: Server = createServer({ key: options.identity.key, cert: options.identity.cert }, (req, res) => {
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase().replace(/\.$/, '');
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== POLICY_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    policyFor(hostName).then(
      (text) => {
        if (text === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('no policy here\n');
        else res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      },
      () => res.writeHead(500).end(),
    );
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A client that fails the handshake (it does not trust the CA) is its own business.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ResourceError(`cannot listen for web host ${web.id} (${error.code ?? error.message})`, { cause: error }),
      ),
    );
    server.listen(options.port ?? 0, options.address, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
