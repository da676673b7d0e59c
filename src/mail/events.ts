import type { RouteTrace } from './transmit.js';

/**
 * What a relay reports while it works: one typed event per step a mail log would show. The
 * sandbox prints them; tests wait for them. Listeners run synchronously, before the relay goes on
 * (a test may stop the process at exactly that point).
 */
export type MailEvent =
  | { readonly type: 'listening'; readonly host: string; readonly address: string; readonly port: number }
  | { readonly type: 'resumed'; readonly host: string; readonly messages: number }
  | {
      readonly type: 'accepted';
      readonly host: string;
      readonly queueId: string;
      readonly from: string;
      readonly recipients: readonly string[];
      readonly size: number;
      /** `maildir`: every recipient was local and the message is already in the mailboxes. */
      readonly stored: 'queue' | 'maildir';
      readonly bareLineEndings: number;
      /** Its Message-ID header, when it has one (trace.ts). */
      readonly messageId: string | undefined;
      /** The SMTP client; undefined for a local submission. */
      readonly client: { readonly helo: string; readonly address: string } | undefined;
    }
  | ({
      /** One outbound attempt: where the host looked, what DNS said, whom it dialled (transmit.ts). */
      readonly type: 'routed';
      readonly host: string;
      readonly queueId: string;
      readonly recipients: readonly string[];
      readonly via: { readonly kind: 'mx'; readonly domain: string } | { readonly kind: 'host'; readonly host: string };
    } & RouteTrace)
  | {
      readonly type: 'refused';
      readonly host: string;
      readonly stage: 'mail' | 'rcpt' | 'data';
      readonly address?: string;
      readonly reply: string;
    }
  | {
      readonly type: 'delivered';
      readonly host: string;
      readonly queueId: string;
      readonly recipient: string;
      /** `maildir`, or the exchange that accepted it. */
      readonly to: string;
      /** The mailbox already held this delivery key: nothing was written. */
      readonly duplicate: boolean;
      /** The reply that settled it, formatted ("250 2.0.0 Ok: queued as ..."). */
      readonly reply: string;
    }
  | {
      readonly type: 'deferred';
      readonly host: string;
      readonly queueId: string;
      readonly recipients: readonly string[];
      readonly reason: string;
      readonly retryAt: number;
    }
  | {
      readonly type: 'bounced';
      readonly host: string;
      readonly queueId: string;
      readonly recipients: readonly string[];
      readonly reason: string;
      readonly dsn: string | undefined;
    }
  | { readonly type: 'error'; readonly host: string; readonly message: string };

export type MailLog = (event: MailEvent) => void;
