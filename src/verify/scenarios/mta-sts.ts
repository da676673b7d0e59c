/**
 * Scenario: MTA-STS (RFC 8461) as a sender outside the plan meets it. For every domain the plan
 * says publishes MTA-STS, the policy is discovered and fetched through the running plan (its
 * DNS, its connector at the policy host's address on port 443, its CA), and must say the mode and
 * max_age the plan gives. Then every MX the plan gives the domain must be one the served policy
 * names (§4.1), and each of its planned addresses must hold STARTTLS with a certificate valid for
 * the MX name (§4.2). Expectations come from the plan's MX set, not from the patterns the plan
 * writes into the policy: a policy that leaves an MX out fails here whoever wrote it.
 *
 * In enforce mode a failing MX fails (senders will not deliver there, §5); in testing mode it
 * passes with a note (senders deliver anyway and report it).
 */
import type { Domain } from '../../topology/types.js';
import type { Scenario, VerifyContext } from '../context.js';
import { outsideResolver } from '../resolver.js';
import { policyNames } from '../sts.js';

export const mtaStsScenario: Scenario = {
  name: 'mta-sts',
  title: 'MTA-STS policies are served and every MX passes them',
  async run(context) {
    for (const domain of context.plan.domains.values()) {
      if (!domain.mtaSts) continue;
      // An engine without TLS (one that hands out no CA) serves no policy and no STARTTLS.
      if (!context.engine.tls)
        context.report({
          name: `${domain.name} MTA-STS policy`,
          status: 'skip',
          note: `${context.engine.name} runs without TLS: MTA-STS is proven where the plan's certificates are (the loopback sandbox, the lab)`,
        });
      else await checkDomain(context, domain);
    }
  },
};

async function checkDomain(context: VerifyContext, domain: Domain): Promise<void> {
  const planned = domain.mtaSts!;
  const policyUrl = `https://mta-sts.${domain.name}/.well-known/mta-sts.txt`;
  const expected = `mode ${planned.mode}, max_age ${planned.maxAge}, served at ${policyUrl}`;
  const discovery = await context.sender.policyOf(domain.name);
  const name = `${domain.name} MTA-STS policy`;
  if (discovery.kind !== 'policy') {
    const observed = discovery.kind === 'none' ? `no _mta-sts.${domain.name} TXT record` : discovery.reason;
    return context.report({ name, status: 'fail', expected, observed });
  }
  const { policy } = discovery;
  const observed = `mode ${policy.mode}, max_age ${policy.maxAge}, id ${policy.id}, mx: ${policy.mx.join(', ') || '(none)'}`;
  const same = policy.mode === planned.mode && policy.maxAge === planned.maxAge;
  context.report({ name, status: same ? 'pass' : 'fail', expected, observed });
  if (planned.mode === 'none') return;

  const resolver = outsideResolver(context.engine.dns, { timeoutMs: 2000, tries: 2 });
  for (const exchange of [...new Set(domain.mx.map((m) => m.exchange))]) {
    const mx = domain.mx.find((m) => m.exchange === exchange)!;
    const problems: string[] = [];
    if (!policyNames(policy, exchange))
      problems.push(`the served policy does not name it (mx: ${policy.mx.join(', ') || '(none)'}, RFC 8461 §4.1)`);
    // The addresses a sender finds in DNS; for a planned host, the plan's own as well.
    const addresses = mx.host
      ? [...mx.host.ipv6, ...mx.host.ipv4]
      : [
          ...(await resolver.resolve6(exchange).catch(() => [] as string[])),
          ...(await resolver.resolve4(exchange).catch(() => [] as string[])),
        ];
    for (const address of addresses) {
      const why = await context.sender.checkTls(address, exchange);
      if (why !== undefined) problems.push(`[${address}] no valid TLS for ${exchange}: ${why}`);
    }
    const caseName = `${domain.name} MX ${exchange} under MTA-STS (${planned.mode})`;
    const wanted = 'named by the policy, STARTTLS with a certificate valid for its name (RFC 8461 §4.1, §4.2)';
    if (problems.length === 0) context.report({ name: caseName, status: 'pass', expected: wanted });
    else if (planned.mode === 'testing')
      context.report({
        name: caseName,
        status: 'pass',
        expected: wanted,
        observed: problems.join('; '),
        note: 'testing mode: senders deliver anyway and only report the failure (RFC 8461 §5); in enforce mode this MX would receive nothing',
      });
    else context.report({ name: caseName, status: 'fail', expected: wanted, observed: problems.join('; ') });
  }
}
