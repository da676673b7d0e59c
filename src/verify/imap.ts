/**
 * Reading a mailbox over IMAP for verify's `read` scenario, with a client nobody here wrote
 * (imapflow): log in, open INBOX read-only (EXAMINE, RFC 9051 §6.3.3), fetch every message's
 * header without setting \Seen (BODY.PEEK), log out.
 *
 * TLS: engines hand out endpoints where a plaintext login is allowed (the lab: at the store
 * itself, which Dovecot counts as secured), and the client does not upgrade; `doSTARTTLS: true`
 * would make it insist, for a login from elsewhere.
 *
 * imapflow is loaded on the first login, not with verify: importing it costs about a quarter
 * of a second of CPU, and a run logs in only where Dovecot serves the stores (the lab with
 * Postfix, or the sandbox run as an ordinary user: Dovecot gives root no mail access).
 */
import type { Endpoint } from '../sandbox/engine.js';

export type ReadOutcome =
  | { readonly loggedIn: true; readonly headers: readonly string[] }
  | { readonly loggedIn: false; readonly reply: string };

export async function imapHeaders(endpoint: Endpoint, user: string, password: string): Promise<ReadOutcome> {
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  client.on('error', () => {}); // a failure also rejects the call that met it
  try {
    await client.connect();
  } catch (error) {
    const e = error as { authenticationFailed?: boolean; responseText?: string; message: string };
    if (e.authenticationFailed) return { loggedIn: false, reply: e.responseText ?? e.message };
    throw error;
  }
  try {
    const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
    const headers: string[] = [];
    if (mailbox.exists > 0)
      for await (const message of client.fetch('1:*', { headers: true }))
        headers.push(message.headers?.toString('latin1') ?? '');
    return { loggedIn: true, headers };
  } finally {
    await client.logout().catch(() => client.close());
  }
}
