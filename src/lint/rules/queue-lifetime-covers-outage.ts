import type { Host } from '../../topology/types.js';
import { formatDuration } from '../../topology/units.js';
import { isReceiving } from '../facts.js';
import { forwardsFor } from '../delivery.js';
import { listOf } from '../../words.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'queue-lifetime-covers-outage',
    category: 'routing',
    description:
      'Every host that queues mail for another (backup MX, forwarding store) keeps it at least as long as the planned outage.',
    severity: 'error',
    sets: ['recommended'],
    references: ['RFC 5321 §4.5.4.1', 'Postfix maximal_queue_lifetime'],
    rationale:
      'A backup MX and a store that forwards to other stores accept mail, answer 250 and take responsibility for it; ' +
      'while the next host is down they keep it in their queue, and when the queue lifetime ends they bounce it ' +
      '(RFC 5321 §4.5.4.1 suggests giving up after at least 4-5 days). `defaults.plannedOutage` is the longest outage ' +
      'the plan promises to survive: a queue lifetime shorter than that turns a planned outage into bounced mail.',
    fix: 'Set `queue.lifetime` of the host (or `defaults.queueLifetime`) to at least `defaults.plannedOutage`.',
    messages: {
      backup:
        'host {host} queues mail as backup MX for {domains} for {lifetime}, less than the planned outage of {outage}; mail waiting longer bounces',
      forwarder:
        'host {host} forwards mail for {domains} to other hosts but keeps its queue only {lifetime}, less than the planned outage of {outage}; mail waiting longer bounces',
    },
  },
  check({ plan, report }) {
    const backupFor = new Map<Host, string[]>();
    const forwarderFor = new Map<Host, string[]>();
    const add = (map: Map<Host, string[]>, host: Host, domain: string) => {
      const list = map.get(host);
      if (!list) map.set(host, [domain]);
      else if (list.at(-1) !== domain) list.push(domain);
    };
    for (const domain of plan.domains.values()) {
      if (!isReceiving(domain)) continue;
      for (const { host } of domain.mx) {
        if (!host || host.queueLifetime >= plan.plannedOutage) continue;
        if (host.role === 'relay') add(backupFor, host, domain.display);
        else if (forwardsFor(plan, host, domain)) add(forwarderFor, host, domain.display);
      }
    }
    const data = (host: Host, domains: string[]) => ({
      host: host.id,
      domains: listOf(domains, 3),
      lifetime: formatDuration(host.queueLifetime),
      outage: formatDuration(plan.plannedOutage),
    });
    for (const [host, domains] of backupFor)
      report({ messageId: 'backup', data: data(host, domains), at: host.fields.queue ?? host.at });
    for (const [host, domains] of forwarderFor)
      report({ messageId: 'forwarder', data: data(host, domains), at: host.fields.queue ?? host.at });
  },
});
