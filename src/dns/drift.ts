/**
 * Drift: whether the name servers serve what the plan derives. Each server is asked for each
 * zone by AXFR (RFC 5936), which shows every record it holds; where it refuses a transfer, every
 * planned RRset is asked for by a query instead, which shows missing and different records and
 * extra records inside planned RRsets (an extra name needs the transfer).
 *
 * Served and planned records are compared by the record diff (diff.ts), SOA serials aside, and
 * each difference becomes a finding at the plan's line for that record (`recordSource`), so lint's
 * reporters print them. DNSSEC records a server adds when it signs a zone are not drift: the plan
 * does not sign (RFC 4034, RFC 5155, RFC 8976).
 */
import type { Finding } from '../diagnostics.js';
import type { RuleInfo } from '../diagnostics.js';
import { inParallel } from '../parallel.js';
import { NoAnswerError, query, transfer, type Endpoint } from './client.js';
import { recordSource } from './derive.js';
import { diffRecords } from './diff.js';
import { recordLine } from './presentation.js';
import { isModelRecord, type ResourceRecord, type ServedRecord, type Zone } from './records.js';

export const DRIFT_RULE: RuleInfo = {
  id: 'dns-drift',
  description: 'A name server serves exactly the records the plan derives.',
  severity: 'error',
  references: ['RFC 1034 §4.3.2', 'RFC 5936'],
  fix: 'Deploy the zones `mxplan zones` writes to the server, or change the plan to what the server should serve.',
  rationale:
    'Mail follows what the name servers answer, not what the plan says: a missing MX, a wrong preference or a stale ' +
    'SPF on a server routes, delays or rejects mail the plan expects to flow. A record the server has and the plan ' +
    'does not is drift too: someone changed the zone outside the plan.',
};

const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'DNSKEY', 'CDS', 'CDNSKEY', 'ZONEMD']);

export interface DriftTarget {
  /** How findings name the server: "127.0.0.1:5300", "ns1.infra.example (192.0.2.53)". */
  readonly label: string;
  readonly endpoint: Endpoint;
}

export interface DriftOptions {
  /** Milliseconds per reply. */
  readonly timeout?: number;
  /** Queries in flight at once per server. */
  readonly concurrency?: number;
}

/** How one server was read for one zone. */
export interface ZoneReading {
  readonly target: string;
  readonly zone: string;
  readonly method: 'axfr' | 'query' | 'none';
}

export interface DriftResult {
  readonly findings: Finding[];
  readonly readings: ZoneReading[];
}

export async function checkDrift(
  zones: readonly Zone[],
  targets: readonly DriftTarget[],
  options: DriftOptions = {},
): Promise<DriftResult> {
  const findings: Finding[] = [];
  const readings: ZoneReading[] = [];
  for (const target of targets) {
    for (const zone of zones) {
      const result = await readZone(zone, zones, target, options);
      readings.push({ target: target.label, zone: zone.origin, method: result.method });
      findings.push(...result.findings);
    }
  }
  return { findings, readings };
}

async function readZone(
  zone: Zone,
  all: readonly Zone[],
  target: DriftTarget,
  options: DriftOptions,
): Promise<{ method: ZoneReading['method']; findings: Finding[] }> {
  const at = recordSource(zone, { name: zone.origin, type: 'SOA' })!;
  const unserved = (why: string): { method: 'none'; findings: Finding[] } => ({
    method: 'none',
    findings: [
      {
        rule: DRIFT_RULE.id,
        messageId: 'zone-not-served',
        severity: 'error',
        message: `${target.label} does not serve zone ${zone.origin} (${why})`,
        location: at,
        fix: DRIFT_RULE.fix,
      },
    ],
  });

  const axfr = await transfer(target.endpoint, zone.origin, { timeout: options.timeout }).catch(() => undefined);
  if (axfr && axfr.answers.length > 0) {
    return { method: 'axfr', findings: compare(zone, zone.records, axfr.answers, target) };
  }

  // No transfer: ask for each planned RRset, except the delegations to other planned zones, which
  // their own zone answers for (a query there gets a referral, not the parent's copy).
  const cuts = all.map((z) => z.origin).filter((o) => o !== zone.origin && o.endsWith(`.${zone.origin}`));
  const planned = zone.records.filter((r) => !cuts.some((cut) => r.name === cut || r.name.endsWith(`.${cut}`)));
  const rrsets = [...new Map(planned.map((r) => [`${r.name} ${r.type}`, r])).values()];
  const served: ServedRecord[] = [];
  let failure: string | undefined;
  await inParallel(rrsets, options.concurrency ?? 8, async (rrset) => {
    if (failure) return;
    try {
      const reply = await query(target.endpoint, rrset.name, rrset.type, { timeout: options.timeout });
      if (reply.rcode !== 'NOERROR' && reply.rcode !== 'NXDOMAIN') failure ??= reply.rcode;
      else if (!reply.authoritative) failure ??= 'its answers are not authoritative';
      else served.push(...reply.answers.filter((a) => a.name === rrset.name && a.type === rrset.type));
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      failure ??= error.message;
    }
  });
  if (failure) return unserved(failure);
  return { method: 'query', findings: compare(zone, planned, served, target) };
}

function compare(
  zone: Zone,
  planned: readonly ResourceRecord[],
  served: readonly ServedRecord[],
  target: DriftTarget,
): Finding[] {
  const known = served.filter(isModelRecord);
  const findings: Finding[] = [];
  const finding = (
    messageId: string,
    record: { name: string; type: string; data?: ResourceRecord['data'] },
    message: string,
    severity: Finding['severity'] = 'error',
  ): Finding => ({
    rule: DRIFT_RULE.id,
    messageId,
    severity,
    message,
    location: recordSource(zone, record)!,
    fix: DRIFT_RULE.fix,
  });
  for (const change of diffRecords(zone.origin, planned, known)) {
    switch (change.kind) {
      case 'delete':
        findings.push(finding('missing', change.before, `${target.label} does not serve ${recordLine(change.before)}`));
        break;
      case 'create':
        findings.push(
          finding(
            'extra',
            change.after,
            `${target.label} serves ${recordLine(change.after)}, which the plan does not have`,
          ),
        );
        break;
      case 'modify':
        findings.push(
          finding(
            'different',
            change.before,
            `${target.label} serves ${recordLine(change.after)} where the plan has ${recordLine(change.before)}`,
          ),
        );
        break;
      case 'modify-ttl':
        findings.push(
          finding(
            'ttl',
            change.before,
            `${target.label} serves ${change.before.name}. ${change.before.type} with TTL ${change.after.ttl} where the plan has ${change.before.ttl}`,
            'warning',
          ),
        );
        break;
    }
  }
  for (const other of served) {
    if (isModelRecord(other) || DNSSEC_TYPES.has(other.type)) continue;
    findings.push(
      finding(
        'extra',
        { name: other.name, type: other.type },
        `${target.label} serves ${other.name}. ${other.ttl} IN ${other.type} ${other.data}, which the plan does not have`,
      ),
    );
  }
  return findings;
}
