/**
 * Admission of inbound SMTP sessions: at most `sessions` at once, and at most `sessionsPerClient`
 * from one client address (the host's plan, routing/policy.ts), as Postfix bounds smtpd with its
 * process limit (default 100) and anvil's smtpd_client_connection_count_limit (default 50).
 * Beyond either, the connection is answered 421 4.7.0 and closed (RFC 5321 §3.8) before any
 * session is set up for it, so a flood of connections costs a counter, not a session each.
 *
 * Counts only: one number per client address with a session open, nothing per message.
 */
import type { SmtpLimits } from '../topology/types.js';

export type AdmissionRefusal = 'host' | 'client';

export class Admission {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: SmtpLimits) {}

  /** Takes a session for `client`, or says which limit it would pass. */
  admit(client: string): AdmissionRefusal | undefined {
    if (this.total >= this.limits.sessions) return 'host';
    const open = this.perClient.get(client) ?? 0;
    if (open >= this.limits.sessionsPerClient) return 'client';
    this.total++;
    this.perClient.set(client, open + 1);
    return undefined;
  }

  /** A session admitted for `client` has ended. */
  release(client: string): void {
    const open = this.perClient.get(client) ?? 0;
    if (open === 0) return;
    this.total--;
    if (open === 1) this.perClient.delete(client);
    else this.perClient.set(client, open - 1);
  }

  /** Sessions open now, in all. */
  get open(): number {
    return this.total;
  }
}
