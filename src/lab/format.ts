/** What `mxplan sandbox --lab` prints: the lab's table, then one line per activity of its hosts. */
import type { Activity } from '../sandbox/engine.js';
import { routedText } from '../sandbox/format.js';
import type { Lab } from './lab.js';

export function labTable(lab: Lab): string {
  const rows = [['host', 'planned name', 'planned addresses', 'namespace', 'loopback forwarder']];
  for (const h of lab.hosts.values())
    rows.push([h.hostId, h.fqdn, h.planned.join(' '), lab.layout.host(h.hostId).namespace, `${h.address}:${h.port}`]);
  for (const machine of lab.layout.machines)
    for (const ns of machine.nameServers)
      rows.push([
        '(dns)',
        ns.name,
        [...ns.ipv4, ...ns.ipv6].join(' '),
        machine.namespace,
        [...ns.ipv4, ...ns.ipv6]
          .map((a) => `${lab.nameServers.get(a)?.host}:${lab.nameServers.get(a)?.port}`)
          .join(' '),
      ]);
  for (const w of lab.web.values())
    rows.push([
      '(web)',
      w.fqdn,
      w.planned.join(' '),
      lab.layout.web.get(w.hostId)!.namespace,
      `${w.address}:${w.port}`,
    ]);
  const outside = lab.layout.outside;
  rows.push(['(outside)', 'the Internet', [...outside.ipv4, ...outside.ipv6].join(' '), outside.namespace, '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return `${table}\n\nmail: ${lab.mtaName}; DNS: ${lab.dnsName} (all of it at ${lab.dns.address}:${lab.dns.port})\n`;
}

export function activityLine(activity: Activity, now: Date = new Date()): string {
  const head = `${now.toISOString().slice(11, 19)} ${activity.host.padEnd(8)}`;
  const list = (addresses: readonly string[]) => addresses.map((a) => `<${a}>`).join(',');
  switch (activity.type) {
    case 'accepted':
      return `${head} ${activity.queueId}: accepted from=<${activity.from}> to=${list(activity.recipients)} size=${activity.size}`;
    case 'delivered':
      return `${head} ${activity.queueId}: delivered <${activity.recipient}> ${activity.to === 'maildir' ? 'to the Maildir' : `via ${activity.to}`}`;
    case 'deferred':
      return `${head} ${activity.queueId}: deferred ${list(activity.recipients)}: ${activity.reason}`;
    case 'bounced':
      return `${head} ${activity.queueId}: bounced ${list(activity.recipients)}: ${activity.reason}`;
    case 'refused':
      return `${head} refused at ${activity.stage.toUpperCase()}${activity.address ? ` <${activity.address}>` : ''}: ${activity.reply}`;
    case 'routed':
      return `${head} ${routedText(activity)}`;
    case 'host':
      return `${head} is ${activity.status}`;
  }
}
