/**
 * <stateDir>/endpoints.json: where the DNS and each host listen, for tools outside mxplan. Written
 * whole (a temporary file, then rename), so a reader never sees half of it.
 *
 * A full disk (ENOSPC, EDQUOT) must not stop the sandbox, whose relays answer 4xx meanwhile and
 * recover by themselves: the file is then removed rather than left stale (its ports would be
 * wrong), and written again every second until space returns.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import type { MailLog } from '../mail/events.js';
import { endpointsFile, tlsLayout } from '../state-layout.js';
import type { DnsEndpoint, HostEndpoint } from './engine.js';

const RETRY_MS = 1000;

export interface EndpointsFile {
  /** Writes the current endpoints (now, or once space returns). */
  write(): Promise<void>;
  /** Stops retrying. */
  close(): void;
}

export function endpointsWriter(
  stateDir: string,
  dns: DnsEndpoint,
  hosts: ReadonlyMap<string, HostEndpoint>,
  web: ReadonlyMap<string, HostEndpoint>,
  log: MailLog,
): EndpointsFile {
  const file = endpointsFile(stateDir);
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  const attempt = async (): Promise<void> => {
    clearTimeout(retry);
    retry = undefined;
    try {
      await writeFile(`${file}.tmp`, render(stateDir, dns, hosts, web));
      await rename(`${file}.tmp`, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
      await Promise.all([rm(`${file}.tmp`, { force: true }), rm(file, { force: true })]).catch(() => {});
      if (closed) return;
      log({ type: 'error', host: '(sandbox)', message: `cannot write ${file} (${code}): trying again every second` });
      retry = setTimeout(() => void attempt().catch(() => {}), RETRY_MS);
      retry.unref();
    }
  };
  return {
    write: attempt,
    close() {
      closed = true;
      clearTimeout(retry);
    },
  };
}

function render(
  stateDir: string,
  dns: DnsEndpoint,
  hosts: ReadonlyMap<string, HostEndpoint>,
  web: ReadonlyMap<string, HostEndpoint>,
): string {
  const entries = (map: ReadonlyMap<string, HostEndpoint>) =>
    Object.fromEntries(
      [...map.values()].map((h) => [
        h.hostId,
        // `port` is `ports.smtp` (or the web host's HTTPS), kept for readers of the first endpoints.json.
        {
          fqdn: h.fqdn,
          planned: h.planned,
          address: h.address,
          port: h.port,
          ...(Object.keys(h.services).length > 0 && {
            ports: Object.fromEntries(Object.entries(h.services).map(([name, e]) => [name, e.port])),
          }),
        },
      ]),
    );
  const body = {
    dns: { address: dns.address, port: dns.port },
    hosts: entries(hosts),
    // HTTPS (the MTA-STS policy hosts), standing in for the planned addresses on port 443.
    web: entries(web),
    tls: { ca: tlsLayout(stateDir).caCert },
  };
  return JSON.stringify(body, null, 2) + '\n';
}
