/**
 * Scenario 1: what a resolver sees equals the plan. Node's c-ares resolver asks the running
 * plan's DNS for every domain's MX set, the addresses of every MX target, SPF and DMARC, and the
 * PTR of every host address in a managed reverse zone. Expectations come from the plan's
 * declarations, not from the record derivation the responder serves.
 */
import { canonicalIP, networkContains, parseCidr } from '../../topology/ip.js';
import type { Domain } from '../../topology/types.js';
import type { Scenario, VerifyContext } from '../context.js';
import { lookupFailure, outsideResolver } from '../resolver.js';

export const dnsScenario: Scenario = {
  name: 'dns',
  title: 'DNS answers equal the plan',
  async run(context) {
    const resolver = outsideResolver(context.engine.dns, { timeoutMs: 2000, tries: 2 });
    for (const domain of context.plan.domains.values()) {
      await check(context, `${domain.name} MX`, expectedMx(domain), () =>
        resolver
          .resolveMx(domain.name)
          .then((mx) => mx.map((m) => `${m.priority} ${m.exchange.toLowerCase() || '.'}`).sort()),
      );
      await check(context, `${domain.name} SPF`, [expectedSpf(domain)], () =>
        resolver.resolveTxt(domain.name).then(spfOf),
      );
      await check(context, `_dmarc.${domain.name} DMARC policy`, expectedDmarc(domain), () =>
        resolver.resolveTxt(`_dmarc.${domain.name}`).then((txt) =>
          txt
            .map((t) => t.join(''))
            .filter((t) => t.startsWith('v=DMARC1'))
            .map(dmarcPolicy),
        ),
      );
    }
    const targets = new Set(
      [...context.plan.domains.values()].flatMap((d) => d.mx.map((m) => m.host).filter((h) => h !== undefined)),
    );
    for (const host of targets) {
      await check(context, `${host.fqdn} A`, [...host.ipv4].sort(), () =>
        resolver.resolve4(host.fqdn).then((a) => a.sort()),
      );
      await check(context, `${host.fqdn} AAAA`, [...host.ipv6].sort(), () =>
        resolver.resolve6(host.fqdn).then((a) => a.map(canonicalIP).sort()),
      );
    }
    const networks = context.plan.reverse.filter((r) => r.aligned).map((r) => parseCidr(r.cidr)!);
    for (const host of context.plan.hosts.values()) {
      for (const address of [...host.ipv4, ...host.ipv6]) {
        if (!networks.some((n) => networkContains(n, address))) continue;
        await check(context, `${address} PTR`, [host.fqdn], () =>
          resolver.reverse(address).then((names) => names.map((n) => n.toLowerCase())),
        );
      }
    }
  },
};

async function check(
  context: VerifyContext,
  name: string,
  expected: readonly string[],
  observe: () => Promise<string[]>,
): Promise<void> {
  let observed: string[];
  try {
    observed = await observe();
  } catch (error) {
    // No records of the type (NODATA), or no such name (NXDOMAIN: _dmarc of a domain without
    // DMARC), is an answer: compare it as the empty set. Anything else is a failed lookup.
    if (lookupFailure(error) === 'temporary') {
      return context.report({
        name,
        status: 'fail',
        expected: show(expected),
        observed: `lookup failed: ${(error as { code?: string }).code ?? String(error)}`,
      });
    }
    observed = [];
  }
  const ok = show(expected) === show(observed);
  context.report({
    name,
    status: ok ? 'pass' : 'fail',
    ...(!ok && { expected: show(expected), observed: show(observed) }),
  });
}

function show(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}

function expectedMx(domain: Domain): string[] {
  if (domain.nullMx) return ['0 .'];
  return domain.mx.map((m) => `${m.preference} ${m.exchange}`).sort();
}

/**
 * The SPF policy the plan asks for, in a normal form: its mechanisms as a sorted set, then the
 * `all` qualifier. Senders' addresses are authorised; includes and extra networks as written.
 */
function expectedSpf(domain: Domain): string {
  const terms = new Set<string>();
  for (const host of domain.senders) {
    for (const a of host.ipv4) terms.add(`ip4:${a}`);
    for (const a of host.ipv6) terms.add(`ip6:${canonicalIP(a)}`);
  }
  for (const n of domain.spf.ip4) terms.add(`ip4:${n.replace(/\/32$/, '')}`);
  for (const n of domain.spf.ip6) terms.add(`ip6:${normalIp6(n)}`);
  for (const i of domain.spf.include) terms.add(`include:${i}`);
  // Nothing to authorise, or a domain that takes no mail (RFC 7505 §4.2): nobody may send as it.
  if (domain.nullMx || terms.size === 0) return '-all';
  return [...[...terms].sort(), domain.spf.all].join(' ');
}

function spfOf(txt: string[][]): string[] {
  return txt
    .map((t) => t.join(''))
    .filter((t) => /^v=spf1( |$)/i.test(t))
    .map((record) => {
      const terms = record.split(/\s+/).slice(1);
      const all = terms.filter((t) => /^[-~?+]?all$/i.test(t));
      const rest = terms
        .filter((t) => !/^[-~?+]?all$/i.test(t))
        .map((t) => (t.startsWith('ip6:') ? `ip6:${normalIp6(t.slice(4))}` : t.toLowerCase()));
      return [...rest.sort(), ...all].join(' ');
    });
}

function normalIp6(text: string): string {
  const [address, prefix] = text.split('/');
  const canonical = canonicalIP(address!);
  return prefix && prefix !== '128' ? `${canonical}/${prefix}` : canonical;
}

/** RFC 7505 §4.2 advice the plan follows: a null-MX domain without DMARC publishes p=reject. */
function expectedDmarc(domain: Domain): string[] {
  if (domain.dmarc) return [`p=${domain.dmarc.policy}`];
  return domain.nullMx ? ['p=reject'] : [];
}

function dmarcPolicy(record: string): string {
  return `p=${/(?:^|;)\s*p=([^;\s]+)/i.exec(record)?.[1]?.toLowerCase() ?? '(missing)'}`;
}
