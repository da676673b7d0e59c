/**
 * Scenario 7: every user reads their mail. Each user with a mailbox on a store gets one probe
 * through MX; then logs in at their home store over IMAP and over POP3 and finds there exactly
 * the messages their Maildir holds, the probe among them. Logging in at any other store fails,
 * unless the plan proxies logins (`logins.proxy`): then that store hands the login to the home,
 * and every user finds the same messages there. A refusal is checked for the first user of each
 * home at each other store: a mailbox server slows down the logins from an address after each
 * failed one (Dovecot's auth penalty, up to 15 s), and one refusal says what every other would.
 *
 * It needs an engine that serves IMAP and POP3 (the contract's mailAccess: Dovecot, in the lab's
 * postfix MTA); mxplan's relays store mail but serve no reader, so on them it is skipped, and
 * says so.
 */
import type { MailProtocol } from '../../sandbox/engine.js';
import type { Host, Plan, User } from '../../topology/types.js';
import type { Scenario, VerifyContext } from '../context.js';
import { expectDelivery } from '../expect.js';
import { imapHeaders, type ReadOutcome } from '../imap.js';
import { PROBE_HEADER } from '../mailboxes.js';
import { inParallel } from '../../parallel.js';
import { pop3Headers } from '../pop3.js';
import { newProbe, OUTSIDE_SENDER, probeMessage, waitForMail } from '../probes.js';

const PROTOCOLS: readonly MailProtocol[] = ['imap', 'pop3'];
const NAMES: Readonly<Record<MailProtocol, string>> = { imap: 'IMAP', pop3: 'POP3' };

export const readScenario: Scenario = {
  name: 'read',
  title: 'every user reads their mail over IMAP and POP3 at their home store',
  async run(context) {
    const { plan, engine, mailboxes } = context;
    const access = engine.mailAccess;
    if (!access) {
      context.report({
        name: 'read',
        status: 'skip',
        note: `${engine.name} serves no IMAP or POP3: read runs where Dovecot does (the lab with Postfix, or the sandbox run as an ordinary user)`,
      });
      return;
    }
    const users = readers(plan);
    const stores = [...plan.hosts.values()].filter((h) => h.role === 'store');

    // One probe each, so that every user has mail to find.
    const probes = new Map<string, string>();
    await inParallel(users, 32, async (user) => {
      if (!expectDelivery(plan, user.address).mailboxes.some((m) => m.address === user.address)) return;
      const token = newProbe();
      const sent = await context.sender.send(
        OUTSIDE_SENDER,
        user.address,
        probeMessage(token, OUTSIDE_SENDER, user.address, `verify read ${user.address}`),
      );
      if (sent.code === 250) probes.set(user.address, token);
    });
    await waitForMail(
      mailboxes,
      users.flatMap((u) =>
        probes.has(u.address) ? [{ token: probes.get(u.address)!, mailboxes: [mailboxOf(u)] }] : [],
      ),
      context.patience,
      context.retry,
    );
    await context.settled();
    await mailboxes.scan();

    // The home logins first: Dovecot slows down the logins from an address after a failed one.
    const firstOfHome = new Set(stores.map((s) => users.find((u) => u.homeId === s.id)));
    const logins = users.flatMap((user) =>
      stores
        .filter((store) => store.id === user.homeId || plan.logins.proxy || firstOfHome.has(user))
        .flatMap((store) => PROTOCOLS.map((protocol) => ({ user, store, protocol, home: store.id === user.homeId }))),
    );
    logins.sort((a, b) => Number(b.home) - Number(a.home));
    const results: { name: string; verdict: ReturnType<typeof judge> }[] = [];
    await inParallel(logins, 8, async ({ user, store, protocol, home }) => {
      const name = `${user.address} over ${NAMES[protocol]} at ${store.id}${home ? ' (home)' : ''}`;
      const endpoint = access.endpointFor(store.id, protocol);
      const password = access.password(user.address);
      if (!endpoint || password === undefined) {
        results.push({
          name,
          verdict: {
            status: 'fail',
            expected: 'a login',
            observed: `${engine.name} gives no ${endpoint ? 'password' : 'endpoint'}`,
          },
        });
        return;
      }
      let outcome: ReadOutcome | Error;
      try {
        outcome =
          protocol === 'imap'
            ? await imapHeaders(endpoint, user.address, password)
            : await pop3Headers(endpoint, user.address, password);
      } catch (error) {
        outcome = error as Error;
      }
      const expected = home ? 'home' : plan.logins.proxy ? 'proxied' : 'refused';
      results.push({ name, verdict: judge(context, user, expected, probes.get(user.address), outcome) });
    });
    for (const { name, verdict } of results.sort((a, b) => a.name.localeCompare(b.name)))
      context.report({ name, ...verdict });
  },
};

/** Users with a mailbox on a store, in address order (a user homed elsewhere has nowhere to log in). */
function readers(plan: Plan): User[] {
  return [...plan.domains.values()]
    .flatMap((d) => [...d.users.values()])
    .filter((u) => u.home?.role === 'store')
    .sort((a, b) => a.address.localeCompare(b.address));
}

function mailboxOf(user: User): { hostId: string; address: string } {
  return { hostId: user.homeId, address: user.address };
}

/**
 * Home (or proxied to it): logged in, and the messages are those of the user's Maildir on the
 * home store, the probe among them. Elsewhere without proxying: the login is refused.
 */
function judge(
  context: VerifyContext,
  user: User,
  expected: 'home' | 'proxied' | 'refused',
  probe: string | undefined,
  outcome: ReadOutcome | Error,
): { status: 'pass' | 'fail'; expected?: string; observed?: string; note?: string } {
  const home = (user.home as Host).id;
  if (outcome instanceof Error)
    return {
      status: 'fail',
      expected: expected === 'refused' ? 'the login refused' : 'a login',
      observed: outcome.message,
    };
  if (expected === 'refused')
    return outcome.loggedIn
      ? {
          status: 'fail',
          expected: `the login refused: ${user.address} is homed on ${home} and logins are not proxied`,
          observed: `logged in, ${outcome.headers.length} messages`,
        }
      : { status: 'pass', note: outcome.reply };
  if (!outcome.loggedIn)
    return {
      status: 'fail',
      expected: expected === 'home' ? 'a login at the home store' : `a login proxied to ${home} (logins.proxy)`,
      observed: `refused: ${outcome.reply}`,
    };
  const held = context.mailboxes.contents(home, user.address);
  const seen = outcome.headers.map(probeOf).filter((t): t is string => t !== undefined);
  const want = [...held.probes].sort();
  const same = want.join(' ') === [...seen].sort().join(' ') && outcome.headers.length === held.messages;
  const hasProbe = probe === undefined || seen.includes(probe);
  if (same && hasProbe) return { status: 'pass', note: `${held.messages} messages` };
  return {
    status: 'fail',
    expected: `the ${held.messages} messages of the Maildir on ${home} (${want.length} probes${probe ? `, ${probe} among them` : ''})`,
    observed: `${outcome.headers.length} messages (${seen.length} probes${probe && !seen.includes(probe) ? `, not ${probe}` : ''})`,
  };
}

const PROBE_LINE = new RegExp(`^${PROBE_HEADER}:[ \\t]*(\\S+)`, 'im');

function probeOf(header: string): string | undefined {
  return PROBE_LINE.exec(header)?.[1];
}
