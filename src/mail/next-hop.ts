/**
 * Where to connect for a destination: the first stage of outbound delivery (mx-connect's
 * resolve-mx, with RFC 5321 §5.1 as the rule book).
 *
 * - `host`: a planned host (store and forward inside the organisation): its planned addresses,
 *   as a transport map entry `[address]` would give them (no MX lookup, hence no loop through MX).
 * - `mx`: the domain's MX records through the injected resolver: sorted by preference with equal
 *   preferences shuffled; the implicit MX (the domain's own A/AAAA) when none is published; a lone
 *   null MX is a permanent failure (RFC 7505); NXDOMAIN is permanent and any other DNS failure
 *   temporary. A host that finds itself in the list discards itself and every MX at or above its
 *   own preference; if nothing is left, the mail would loop back to itself.
 *
 * Every DNS question asked on the way is kept with its answer, in the order asked: the "why did
 * it go there" of a message's journey (the relay reports it as a `routed` event).
 */
import type { NextHop } from '../routing/destination.js';
import { canonicalName } from '../topology/names.js';
import { canonicalIP } from '../topology/ip.js';
import { REPLIES, type SmtpReply } from './replies.js';
import { classifyDnsError, type MailResolver, type MxRecord } from './resolver.js';

export interface Candidate {
  /** The MX (or host) name, for logs and the DSN's Remote-MTA. */
  readonly exchange: string;
  readonly preference: number;
  readonly address: string;
}

/** One DNS question and what the resolver said. */
export interface DnsLookup {
  readonly name: string;
  readonly type: 'MX' | 'A' | 'AAAA';
  /** Presentation form: "10 mail1.infra.example", "192.0.2.10". */
  readonly answers: readonly string[];
  /** NXDOMAIN, NODATA, or the resolver's code of a temporary failure. */
  readonly error?: string;
}

export type HopResolution = (
  { readonly ok: true; readonly candidates: readonly Candidate[] } | { readonly ok: false; readonly reply: SmtpReply }
) & {
  readonly lookups: readonly DnsLookup[];
  /** This host's own preference, when it found itself among the MX (RFC 5321 §5.1). */
  readonly self?: number;
};

export interface Self {
  readonly fqdn: string;
  readonly addresses: ReadonlySet<string>;
}

export interface NextHopContext {
  readonly resolver: MailResolver;
  readonly self: Self;
  /** [0, 1): the shuffle of equal preferences; injectable for tests. */
  readonly random: () => number;
}

/** mx-connect's MAX_MX_HOSTS: more than this is a misconfiguration, not redundancy. */
const MAX_MX = 20;

export async function resolveNextHop(hop: NextHop, ctx: NextHopContext): Promise<HopResolution> {
  const lookups: DnsLookup[] = [];
  if (hop.kind === 'host') {
    const addresses = [...hop.host.ipv4, ...hop.host.ipv6].map(canonicalIP);
    return {
      ok: true,
      candidates: addresses.map((address) => ({ exchange: hop.host.fqdn, preference: 0, address })),
      lookups,
    };
  }
  const resolver = recording(ctx.resolver, lookups);
  const domain = hop.domain;
  let records: MxRecord[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (error) {
    const outcome = classifyDnsError(error);
    if (outcome === 'nxdomain') return { ok: false, reply: REPLIES.noSuchDomain(domain), lookups };
    if (outcome === 'temporary') return { ok: false, reply: REPLIES.dnsTemporary(domain, codeOf(error)), lookups };
    records = [];
  }
  const real = records
    .map((r) => ({ exchange: canonicalName(r.exchange), priority: r.priority }))
    .filter((r) => r.exchange !== '');
  // RFC 7505 §3: a null MX is the only MX; mixed with others it is ignored (as mx-connect does).
  if (records.length > 0 && real.length === 0) return { ok: false, reply: REPLIES.nullMxDomain(domain), lookups };
  // RFC 5321 §5.1: no MX records: the domain itself is the implicit MX, preference 0.
  const mxs = real.length > 0 ? real : [{ exchange: domain, priority: 0 }];

  const withAddresses = await Promise.all(
    shuffleEqualPreferences(mxs, ctx.random)
      .slice(0, MAX_MX)
      .map(async (mx) => ({ ...mx, ...(await addressesOf(mx.exchange, resolver)) })),
  );

  // RFC 5321 §5.1: discard this host and every MX at or above its preference.
  const isSelf = (mx: (typeof withAddresses)[number]) =>
    mx.exchange === ctx.self.fqdn || mx.addresses.some((a) => ctx.self.addresses.has(a));
  const own = Math.min(...withAddresses.filter(isSelf).map((mx) => mx.priority));
  const usable = withAddresses.filter((mx) => mx.priority < own);
  const self = Number.isFinite(own) ? { self: own } : {};
  if (Number.isFinite(own) && usable.length === 0)
    return { ok: false, reply: REPLIES.loopsBackToMyself(domain), lookups, ...self };

  const candidates = usable.flatMap((mx) =>
    mx.addresses.map((address) => ({ exchange: mx.exchange, preference: mx.priority, address })),
  );
  if (candidates.length === 0) {
    const temporary = usable.find((mx) => mx.temporary);
    return {
      ok: false,
      reply: temporary ? REPLIES.dnsTemporary(temporary.exchange, 'address lookup') : REPLIES.noRoute(domain),
      lookups,
      ...self,
    };
  }
  return { ok: true, candidates, lookups, ...self };
}

/** The resolver, keeping each question and its answer in `lookups` in the order asked. */
function recording(resolver: MailResolver, lookups: DnsLookup[]): MailResolver {
  const ask = async <T>(name: string, type: DnsLookup['type'], query: Promise<T[]>, show: (answer: T) => string) => {
    const lookup: { -readonly [K in keyof DnsLookup]: DnsLookup[K] } = { name, type, answers: [] };
    lookups.push(lookup);
    try {
      const answers = await query;
      lookup.answers = answers.map(show);
      return answers;
    } catch (error) {
      const outcome = classifyDnsError(error);
      lookup.error = outcome === 'temporary' ? codeOf(error) : outcome.toUpperCase();
      throw error;
    }
  };
  return {
    resolveMx: (name) => ask(name, 'MX', resolver.resolveMx(name), (r) => `${r.priority} ${r.exchange || '.'}`),
    resolve4: (name) => ask(name, 'A', resolver.resolve4(name), String),
    resolve6: (name) => ask(name, 'AAAA', resolver.resolve6(name), String),
  };
}

/** Sorted by preference; records of equal preference in random order (RFC 5321 §5.1 MUST). */
export function shuffleEqualPreferences<T extends { priority: number }>(
  records: readonly T[],
  random: () => number,
): T[] {
  const sorted = [...records].sort((a, b) => a.priority - b.priority);
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end < sorted.length && sorted[end]!.priority === sorted[start]!.priority) end++;
    // Fisher-Yates within [start, end): unbiased, unlike swapping neighbours.
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
    }
    start = end;
  }
  return sorted;
}

/** A then AAAA, in resolver order; a lookup that fails temporarily is noted, not fatal. */
async function addressesOf(name: string, resolver: MailResolver): Promise<{ addresses: string[]; temporary: boolean }> {
  let temporary = false;
  const lookup = async (query: (n: string) => Promise<string[]>) => {
    try {
      return await query(name);
    } catch (error) {
      if (classifyDnsError(error) === 'temporary') temporary = true;
      return [];
    }
  };
  const [v4, v6] = await Promise.all([lookup((n) => resolver.resolve4(n)), lookup((n) => resolver.resolve6(n))]);
  return { addresses: [...v4, ...v6].map(canonicalIP), temporary };
}

function codeOf(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? String(error);
}
