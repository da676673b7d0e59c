/**
 * Scenario 5: what must be refused, at RCPT, by every host that receives for a domain: an
 * unknown user (550 5.1.1, backups included: no backscatter), a domain outside the plan
 * (550 5.7.1: never an open relay), a null-MX domain (556 5.1.10, RFC 7505 §4.1).
 */
import type { Host } from '../../topology/types.js';
import type { Scenario } from '../context.js';
import { inParallel } from '../../parallel.js';
import { newProbe, OUTSIDE_SENDER, probeMessage } from '../probes.js';

const FOREIGN = 'someone@not-in-the-plan.example';

export const refusalsScenario: Scenario = {
  name: 'refusals',
  title: 'unknown users, foreign and null-MX domains are refused',
  async run(context) {
    const { plan } = context;
    const checks: Check[] = [];
    const receivers = new Map<string, Host>();
    for (const domain of plan.domains.values()) {
      if (domain.nullMx) continue;
      for (const mx of domain.mx) {
        if (!mx.host) continue;
        receivers.set(mx.host.id, mx.host);
        checks.push({
          host: mx.host,
          to: `no-such-user-${newProbe().toLowerCase()}@${domain.name}`,
          code: 550,
          enhanced: '5.1.1',
          what: `unknown user of ${domain.name}`,
        });
      }
    }
    const nullMx = [...plan.domains.values()].filter((d) => d.nullMx);
    for (const host of [...receivers.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      checks.push({ host, to: FOREIGN, code: 550, enhanced: '5.7.1', what: 'a domain outside the plan (relaying)' });
      for (const domain of nullMx)
        checks.push({
          host,
          to: `anyone@${domain.name}`,
          code: 556,
          enhanced: '5.1.10',
          what: `null-MX domain ${domain.name}`,
        });
    }
    // One session per host, all its refusals as RCPTs of one transaction (per 50): each gets its
    // own reply, and a thousand domains do not cost a thousand greetings.
    const byHost = new Map<Host, Check[]>();
    for (const check of checks) byHost.set(check.host, [...(byHost.get(check.host) ?? []), check]);
    await inParallel([...byHost], 4, async ([host, hostChecks]) => {
      const address = host.ipv4[0] ?? host.ipv6[0];
      if (!address) {
        for (const c of hostChecks)
          context.report({ name: `${c.what} at ${host.id}`, status: 'skip', note: `${host.id} has no address` });
        return;
      }
      const recipients = hostChecks.map((c) => c.to);
      const replies = await context.sender.rcptReplies(
        address,
        OUTSIDE_SENDER,
        recipients,
        probeMessage(newProbe(), OUTSIDE_SENDER, recipients[0]!, 'verify refusal'),
      );
      for (const { to, code, enhanced, what } of hostChecks) {
        const outcome = replies.get(to)!;
        const ok = outcome.code === code && outcome.response.includes(enhanced);
        context.report({
          name: `${what} at ${host.id}`,
          status: ok ? 'pass' : 'fail',
          ...(!ok && {
            expected: `${code} ${enhanced} for <${to}>`,
            observed: `${outcome.code || 'no answer'}: ${outcome.response}`,
          }),
        });
      }
    });
  },
};

interface Check {
  readonly host: Host;
  readonly to: string;
  readonly code: number;
  readonly enhanced: string;
  readonly what: string;
}
