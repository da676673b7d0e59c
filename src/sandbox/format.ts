/** What `mxplan sandbox` prints: the host table, then one line per mail event. */
import type { MailEvent } from '../mail/events.js';
import type { Activity, HostEndpoint, ServiceName } from './engine.js';

/** The services of a host, in the order a person looks for them. */
const SERVICE_ORDER: readonly ServiceName[] = ['smtp', 'submission', 'imap', 'pop3'];

/**
 * Every planned host and web host with its planned names and addresses, and the loopback port of
 * each service that stands in for it (`smtp 2515, submission 2517, imap 2513, pop3 2510`).
 */
export function hostTable(
  hosts: Iterable<HostEndpoint>,
  dns: { address: string; port: number },
  web: Iterable<HostEndpoint> = [],
): string {
  const hostList = [...hosts];
  const webList = [...web];
  const addresses = new Set([
    dns.address,
    ...webList.map((w) => w.address),
    ...hostList.flatMap((h) => Object.values(h.services).map((e) => e.host)),
  ]);
  // One loopback address for all (the sandbox's): named once in the header, ports in the rows.
  const one = addresses.size === 1 ? dns.address : undefined;
  const at = (endpoint: { host: string; port: number }) =>
    one ? `${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
  const services = (h: HostEndpoint) =>
    SERVICE_ORDER.filter((name) => h.services[name])
      .map((name) => `${name} ${at(h.services[name]!)}`)
      .join(', ');
  const rows = [['host', 'planned name', 'planned addresses', one ? `ports on ${one}` : 'loopback endpoints']];
  for (const h of hostList) rows.push([h.hostId, h.fqdn, h.planned.join(' ') || '(none)', services(h)]);
  for (const w of webList)
    rows.push([w.hostId, w.fqdn, w.planned.join(' ') || '(none)', `https ${at({ host: w.address, port: w.port })}`]);
  rows.push([
    '(dns)',
    'authoritative responder',
    'every zone of the plan',
    `dns ${at({ host: dns.address, port: dns.port })}`,
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function eventLine(event: MailEvent, now: Date = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  const head = `${time} ${event.host.padEnd(8)}`;
  switch (event.type) {
    case 'listening':
      return `${head} listening on ${event.address}:${event.port}`;
    case 'resumed':
      return `${head} resumed ${event.messages} queued message(s)`;
    case 'accepted':
      return `${head} ${event.queueId}: accepted from=<${event.from}> to=${event.recipients.map((r) => `<${r}>`).join(',')} size=${event.size} (${event.stored === 'maildir' ? 'delivered' : 'queued'})`;
    case 'refused':
      return `${head} refused at ${event.stage.toUpperCase()}${event.address ? ` <${event.address}>` : ''}: ${event.reply}`;
    case 'delivered':
      return `${head} ${event.queueId}: delivered <${event.recipient}> ${event.to === 'maildir' ? 'to the Maildir' : `via ${event.to}`}${event.duplicate ? ' (already there: not written again)' : ''}`;
    case 'routed':
      return `${head} ${routedText(event)}`;
    case 'deferred':
      return `${head} ${event.queueId}: deferred ${event.recipients.map((r) => `<${r}>`).join(',')}: ${event.reason} (retry at ${new Date(event.retryAt).toISOString().slice(11, 19)})`;
    case 'bounced':
      return `${head} ${event.queueId}: bounced ${event.recipients.map((r) => `<${r}>`).join(',')}: ${event.reason}${event.dsn ? ` (DSN ${event.dsn})` : ' (no DSN: the sender is <>)'}`;
    case 'error':
      return `${head} error: ${event.message}`;
  }
}

/** A routing decision in one line, for the sandbox's event lines and the lab's activity lines. */
export function routedText(event: Extract<Activity, { type: 'routed' }>): string {
  const where = event.via.kind === 'mx' ? `MX of ${event.via.domain}` : `planned host ${event.via.host}`;
  const to = event.relay ? `${event.relay.exchange}[${event.relay.address}]` : (event.reply ?? 'no candidate took it');
  return `${event.queueId}: routed via ${where}: ${event.tried.length > 0 ? `${event.tried.length} refused, then ` : ''}${to}`;
}
