/**
 * The outside's receiver for outbound mail: any Internet MTA the plan's hosts send to. It takes
 * every recipient at port 25 of the outside's own addresses (not of the outside domains'
 * exchanges beside them: those are the caller's, outside-domains.ts) and stores each message in a Maildir
 * under the lab's state (<root>/<domain>/<local>/), on stable storage before it says 250.
 */
import { systemClock } from '../mail/clock.js';
import { profileFor } from '../mail/profiles.js';
import { MaildirStore } from '../mail/maildir.js';
import { listenSmtp, type ServerOptions } from '../mail/server.js';
import type { Operation } from './ipc.js';
import { SMTP_PORT } from './relay-helper.js';

export interface ReceiverInit {
  readonly name: string;
  /** The outside's own addresses. */
  readonly addresses: readonly string[];
  readonly maildirRoot: string;
}

/** The Internet takes as many sessions as the plan's hosts open; its deadlines are a relay's. */
const LIMITS = { sessions: 10_000, sessionsPerClient: 10_000 };

export async function startReceiverHelper(init: ReceiverInit) {
  const { commandDeadline, minDataRate } = profileFor('fast', { queueLifetime: 3600_000 });
  const store = new MaildirStore(init.maildirRoot, init.name, systemClock);
  let delivered = 0;
  const options: ServerOptions = {
    name: init.name,
    maxMessageSize: 50 << 20,
    maxRecipients: 1000,
    limits: LIMITS,
    deadlines: { commandDeadline, minDataRate },
    onError: () => {},
    handlers: {
      mailFrom: async () => {},
      rcptTo: async () => {},
      data: async (message, session) => {
        for (const to of session.recipients)
          await store.deliver(to, message.data, `${session.id}.${++delivered}`, session.from);
        return { code: 250, enhanced: '2.0.0', text: 'Ok: stored by the outside receiver' };
      },
      refused: () => {},
    },
  };
  const servers = await Promise.all(init.addresses.map((address) => listenSmtp(options, { address, port: SMTP_PORT })));
  const operations: Record<string, Operation> = {};
  return {
    operations,
    stop: async () => void (await Promise.all(servers.map((server) => server.close({ abrupt: true })))),
  };
}
