/**
 * Outbound delivery of one message to one destination: resolve the next hop, then try its
 * addresses in order until one holds a session (the second stage of mx-connect's pipeline).
 *
 * RFC 5321 §5.1, as Postfix's smtp(8) reads it (4xx greetings are always skipped,
 * smtp_skip_5xx_greeting for 5xx): a refused or timed-out connection, a greeting other than 220,
 * a 421, or a 4xx to MAIL FROM moves on to the next address or MX. Once a server takes the
 * transaction, its answer for each recipient stands: 5xx fails the recipient for good (it is not
 * retried through another MX), 4xx defers it to the queue's next attempt. A server that does not
 * offer SMTPUTF8 to an envelope that needs it gets nothing: its recipients fail with 5.6.7
 * (RFC 6531 §3.2, smtputf8.ts).
 *
 * Each exchange is dialled with the TLS its destination asks for (tls-policy.ts); an MX that an
 * enforced MTA-STS policy does not name, or that fails its TLS, is skipped like one that is down
 * (RFC 8461 §5: a temporary failure).
 */
import type { Connector } from './connector.js';
import type { NextHop } from '../routing/destination.js';
import { resolveNextHop, type Candidate, type DnsLookup, type NextHopContext } from './next-hop.js';
import { formatReply, isPermanent, REPLIES, type SmtpReply } from './replies.js';
import type { SmtpClient } from './smtp-client.js';
import type { ExchangeSecurity } from './tls-policy.js';

export type RecipientStatus = 'delivered' | 'deferred' | 'failed';

export interface RecipientOutcome {
  readonly status: RecipientStatus;
  readonly reply: SmtpReply;
  /** The exchange that gave the reply, for DSNs (RFC 3464 Remote-MTA). */
  readonly remote?: string;
  /** Local delivery only: the mailbox already held this delivery key. */
  readonly duplicate?: boolean;
}

/** Why an attempt went where it went: the relay reports it as a `routed` event (events.ts). */
export interface RouteTrace {
  readonly lookups: readonly DnsLookup[];
  readonly candidates: readonly Candidate[];
  /** This host's own MX preference, when it found itself among the MX. */
  readonly self?: number;
  /** Candidates that held no session, in order, with the failure. */
  readonly tried: readonly (Candidate & { readonly reply: string })[];
  /** The candidate that took the (last) transaction. */
  readonly relay?: Candidate;
  /** Why nothing was tried: the failed resolution's reply. */
  readonly reply?: string;
}

export interface TransmitResult {
  readonly outcomes: ReadonlyMap<string, RecipientOutcome>;
  /** No address would hold a session (or DNS failed temporarily): back the destination off. */
  readonly unreachable: boolean;
  /** Outbound delivery only. */
  readonly route?: RouteTrace;
}

export interface TransmitContext extends NextHopContext {
  readonly connector: Connector;
  readonly client: SmtpClient;
  /** RFC 5321 §4.5.3.1.8: servers take at least 100 recipients per transaction; send no more. */
  readonly maxRecipients: number;
  /** The TLS each exchange is dialled with; absent: no TLS at all (the profile has it off). */
  readonly security?: (hop: NextHop, exchange: string) => ExchangeSecurity;
}

export async function transmit(
  hop: NextHop,
  from: string,
  recipients: readonly string[],
  message: Buffer,
  ctx: TransmitContext,
): Promise<TransmitResult> {
  const outcomes = new Map<string, RecipientOutcome>();
  const resolution = await resolveNextHop(hop, ctx);
  const { lookups } = resolution;
  const self = resolution.self !== undefined ? { self: resolution.self } : {};
  if (!resolution.ok) {
    const status = isPermanent(resolution.reply) ? 'failed' : 'deferred';
    for (const r of recipients) outcomes.set(r, { status, reply: resolution.reply });
    const route = { lookups, candidates: [], ...self, tried: [], reply: formatReply(resolution.reply) };
    return { outcomes, unreachable: status === 'deferred', route };
  }

  const tried: (Candidate & { reply: string })[] = [];
  let relay: Candidate | undefined;
  let unreachable = false;
  for (let i = 0; i < recipients.length; i += ctx.maxRecipients) {
    const chunk = recipients.slice(i, i + ctx.maxRecipients);
    let lastFailure: SmtpReply | undefined;
    let settled = false;
    for (const candidate of resolution.candidates) {
      const security = ctx.security?.(hop, candidate.exchange);
      if (security && 'refused' in security) {
        lastFailure = security.refused;
        continue;
      }
      const endpoint = ctx.connector.endpointFor(candidate.address);
      if (!endpoint) {
        const why = ctx.connector.whyUnreachable?.(candidate.address) ?? 'no loopback endpoint stands in for it';
        const unreachable = REPLIES.unreachable(candidate.exchange, candidate.address, why);
        // An address this host cannot dial says less than a server's answer: it does not hide one.
        lastFailure ??= unreachable;
        tried.push({ ...candidate, reply: formatReply(unreachable) });
        continue;
      }
      const result = await ctx.client.send(endpoint, { from, to: chunk }, message, security?.tls);
      const remote = candidate.exchange;
      if (result.stage === 'smtputf8') {
        // RFC 6531 §3.2: no downgrade, and no other MX either (as Postfix): the recipients bounce.
        for (const r of chunk)
          outcomes.set(r, { status: 'failed', reply: REPLIES.smtpUtf8NotOffered(candidate.exchange) });
        settled = true;
        break;
      }
      if (result.stage === 'connect' || (result.stage === 'mail' && !isPermanent(result.reply))) {
        lastFailure = {
          ...result.reply,
          text: `${candidate.exchange} [${candidate.address}] said: ${result.reply.text}`,
        };
        tried.push({ ...candidate, reply: formatReply(result.reply) });
        continue;
      }
      relay = candidate;
      if (result.stage === 'mail' || result.stage === 'data') {
        for (const r of chunk)
          outcomes.set(r, { status: isPermanent(result.reply) ? 'failed' : 'deferred', reply: result.reply, remote });
      } else {
        const accepted = new Set(result.accepted.map((a) => a.toLowerCase()));
        for (const r of chunk) {
          const refusal = result.refused.get(r);
          if (accepted.has(r.toLowerCase()) && !refusal)
            outcomes.set(r, { status: 'delivered', reply: result.reply, remote });
          else {
            const reply = refusal ?? result.reply;
            outcomes.set(r, { status: isPermanent(reply) ? 'failed' : 'deferred', reply, remote });
          }
        }
      }
      settled = true;
      break;
    }
    if (!settled) {
      unreachable = true;
      const reply = lastFailure ?? REPLIES.noRoute(hop.kind === 'mx' ? hop.domain : hop.host.fqdn);
      for (const r of chunk) outcomes.set(r, { status: 'deferred', reply });
    }
  }
  const route = { lookups, candidates: resolution.candidates, ...self, tried, ...(relay && { relay }) };
  return { outcomes, unreachable, route };
}
