/**
 * One running plan as verify drives it: the engine the caller's factory starts, the outside
 * sender that reaches it through the engine's DNS and connector, the index of its mailboxes,
 * and what its hosts said about mail they could not deliver.
 */
import type { EngineFactory, OutsideDomain, RunningPlan } from '../sandbox/engine.js';
import type { Plan } from '../topology/types.js';
import { MailboxIndex } from './mailboxes.js';
import { outsideResolver } from './resolver.js';
import { InternetSender } from './sender.js';

/**
 * The quiet period verify asks the engine to settle on before it judges what arrived, ms: no
 * mail moved for this long, or (the built-in engine, which sees its queues) none will move within it.
 */
const QUIET_MS = 300;

export interface HarnessOptions {
  readonly plan: Plan;
  readonly stateDir: string;
  /** How long settled() waits at most, ms. */
  readonly patience: number;
  readonly queueLifetime?: number;
  /** Domains outside the plan whose mail verify takes (its receiver). */
  readonly outside?: readonly OutsideDomain[];
  /** Where the latest deferral or bounce of each recipient is written ("mail1 deferred it: ..."). */
  readonly lastWords: Map<string, string>;
}

export interface Harness extends AsyncDisposable {
  readonly engine: RunningPlan;
  readonly sender: InternetSender;
  readonly mailboxes: MailboxIndex;
  /** Nudges every queue past its backoff. */
  readonly retry: () => void;
  /** Resolves once mail has stopped moving (RunningPlan.settled, at most `patience`). */
  readonly settled: () => Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(factory: EngineFactory, options: HarnessOptions): Promise<Harness> {
  const { plan, stateDir, patience, lastWords } = options;
  const engine = await factory({
    plan,
    stateDir,
    ...(options.queueLifetime !== undefined && { queueLifetime: options.queueLifetime }),
    ...(options.outside && { outside: options.outside }),
  });
  const mailboxes = new MailboxIndex(new Map([...engine.hosts.keys()].map((id) => [id, engine.maildirRoot(id)])));
  const sender = new InternetSender(outsideResolver(engine.dns, { timeoutMs: 1000, tries: 2 }), engine.connector, {
    ...(engine.tls && { ca: engine.tls.ca }),
  });
  const unsubscribe = engine.onActivity((activity) => {
    if (activity.type === 'host') sender.dropConnections();
    else if (activity.type === 'delivered' && activity.to === 'maildir')
      mailboxes.touch(activity.host, activity.recipient);
    else if (activity.type === 'deferred' || activity.type === 'bounced')
      for (const r of activity.recipients) lastWords.set(r, `${activity.host} ${activity.type} it: ${activity.reason}`);
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      sender.close();
      unsubscribe();
      await engine.close();
    })());
  return {
    engine,
    sender,
    mailboxes,
    // A nudge that fails changes no verdict: mail that does not arrive is reported as lost.
    retry: () => void engine.retryNow().catch(() => {}),
    settled: () => engine.settled({ quietMs: QUIET_MS, within: patience }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
