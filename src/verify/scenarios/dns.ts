/**
 * Scenario 1: what a resolver sees equals the plan. Node's c-ares resolver asks the running
 * plan's DNS for every domain's MX set, the addresses of every MX target, SPF and DMARC, and the
 * PTR of every host address in a managed reverse zone. Expectations come from the plan's
 * declarations, not from the record derivation the responder serves.
 */
import { canonicalIP, networkContains, parseCidr } from '../../topology/ip.js';
import type { Domain } from '../../topology/types.js';
import { inParallel } from '../../parallel.js';
import type { CaseResult, Scenario } from '../context.js';
import { lookupFailure, outsideResolver } from '../resolver.js';

/**
 * Lookups in flight at once: one at a time, a plan of 1,000 domains waited for 3,000 loopback
 * round trips in a row (3.7 s on the shared two-core VM) while the responder sat idle. A
 * resolver keeps many queries outstanding (RFC 1035 §4.1.1: the ID matches each answer to its
 * query) and the responder answers each on its own; the cases are still reported in plan order.
 */
const LOOKUPS_IN_FLIGHT = 32;

/** One checked answer: what the plan says it must be, and how to ask for it. */
interface Check {
  readonly name: string;
  readonly expected: readonly string[];
  readonly observe: () => Promise<string[]>;
}

export const dnsScenario: Scenario = {
  name: 'dns',
  title: 'DNS answers equal the plan',
  async run(context) {
    const resolver = outsideResolver(context.engine.dns, { timeoutMs: 2000, tries: 2 });
    const checks: Check[] = [];
    for (const domain of context.plan.domains.values()) {
      checks.push(
        {
          name: `${domain.name} MX`,
          expected: expectedMx(domain),
          observe: () =>
            resolver
              .resolveMx(domain.name)
              .then((mx) => mx.map((m) => `${m.priority} ${m.exchange.toLowerCase() || '.'}`).sort()),
        },
        {
          name: `${domain.name} SPF`,
          expected: [expectedSpf(domain)],
          observe: () => resolver.resolveTxt(domain.name).then(spfOf),
        },
        {
          name: `_dmarc.${domain.name} DMARC policy`,
          expected: expectedDmarc(domain),
          observe: () =>
            resolver.resolveTxt(`_dmarc.${domain.name}`).then((txt) =>
              txt
                .map((t) => t.join(''))
                .filter((t) => t.startsWith('v=DMARC1'))
                .map(dmarcPolicy),
            ),
        },
      );
    }
    const targets = new Set(
      [...context.plan.domains.values()].flatMap((d) => d.mx.map((m) => m.host).filter((h) => h !== undefined)),
    );
    for (const host of targets) {
      checks.push(
        {
          name: `${host.fqdn} A`,
          expected: [...host.ipv4].sort(),
          observe: () => resolver.resolve4(host.fqdn).then((a) => a.sort()),
        },
        {
          name: `${host.fqdn} AAAA`,
          expected: [...host.ipv6].sort(),
          observe: () => resolver.resolve6(host.fqdn).then((a) => a.map(canonicalIP).sort()),
        },
      );
    }
    const networks = context.plan.reverse.filter((r) => r.aligned).map((r) => parseCidr(r.cidr)!);
    for (const host of context.plan.hosts.values()) {
      for (const address of [...host.ipv4, ...host.ipv6]) {
        if (!networks.some((n) => networkContains(n, address))) continue;
        checks.push({
          name: `${address} PTR`,
          expected: [host.fqdn],
          observe: () => resolver.reverse(address).then((names) => names.map((n) => n.toLowerCase())),
        });
      }
    }
    for (const result of await inParallel(checks, LOOKUPS_IN_FLIGHT, judge)) context.report(result);
  },
};

async function judge({ name, expected, observe }: Check): Promise<Omit<CaseResult, 'scenario'>> {
  let observed: string[];
  try {
    observed = await observe();
  } catch (error) {
    // No records of the type (NODATA), or no such name (NXDOMAIN: _dmarc of a domain without
    // DMARC), is an answer: compare it as the empty set. Anything else is a failed lookup.
    if (lookupFailure(error) === 'temporary') {
      return {
        name,
        status: 'fail',
        expected: show(expected),
        observed: `lookup failed: ${(error as { code?: string }).code ?? String(error)}`,
      };
    }
    observed = [];
  }
  const ok = show(expected) === show(observed);
  return { name, status: ok ? 'pass' : 'fail', ...(!ok && { expected: show(expected), observed: show(observed) }) };
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
