import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailEvent } from '../../src/mail/events.js';
import { backoffDelay, profileFor } from '../../src/mail/profiles.js';
import { Queue, type Delivery } from '../../src/mail/queue.js';
import type { FailedRecipient } from '../../src/mail/dsn.js';
import type { SmtpReply } from '../../src/mail/replies.js';
import { Spool, type StoredEnvelope } from '../../src/mail/spool.js';
import type { RecipientOutcome, TransmitResult } from '../../src/mail/transmit.js';
import { destinationKey, type Destination } from '../../src/routing/destination.js';
import { expandRecipients } from '../../src/routing/expand.js';
import { hostPolicy } from '../../src/routing/policy.js';
import { planOf, topology } from '../helpers/topology.js';
import { FakeClock } from './support/fake-clock.js';

const plan = await planOf(topology());
const REFUSED: SmtpReply = {
  code: 451,
  enhanced: '4.4.1',
  text: 'mail2.infra.example [192.0.2.11]: connection refused',
};
const OK: SmtpReply = { code: 250, enhanced: '2.0.0', text: 'Ok' };

describe('backoffDelay', () => {
  it('doubles from the first retry up to the maximum (Postfix qmgr)', () => {
    const fast = profileFor('fast', { queueLifetime: 432000 });
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(fast, n))).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
    const real = profileFor('default', { queueLifetime: 432000 });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(real, n) / 1000)).toEqual([300, 600, 1200, 2400, 4000]);
    // the fast profile compresses the plan's lifetime: one planned hour per second
    expect(fast.queueLifetime).toBe(120_000);
    expect(real.queueLifetime).toBe(432_000_000);
  });
});

let dir: string;
let spool: Spool;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxplan-queue-'));
  spool = (await Spool.open(dir)).spool;
});
afterEach(async () => {
  await spool.close();
  await rm(dir, { recursive: true, force: true });
});

interface Attempt {
  readonly at: number;
  readonly destination: string;
  readonly targets: string[];
}

/** A queue on store1 (acme's primary MX; bob and carol live on store2) with a scripted deliver. */
function harness(
  answer: (attempt: Attempt, n: number) => TransmitResult | Promise<TransmitResult>,
  lifetimeSeconds = 60,
) {
  const clock = new FakeClock();
  const attempts: Attempt[] = [];
  const bounces: { envelope: StoredEnvelope; failures: readonly FailedRecipient[] }[] = [];
  const events: MailEvent[] = [];
  const queue = new Queue({
    host: 'store1',
    spool,
    clock,
    profile: profileFor('fast', plan.hosts.get('store1')!, { queueLifetime: lifetimeSeconds }),
    log: (e) => events.push(e),
    expand: (envelope) => expandRecipients(hostPolicy(plan, 'store1'), envelope.recipients, envelope.origin),
    deliver: async (destination: Destination, delivery: Delivery) => {
      const attempt = {
        at: clock.now(),
        destination: destinationKey(destination),
        targets: delivery.targets.map((t) => t.address),
      };
      attempts.push(attempt);
      return answer(attempt, attempts.length);
    },
    bounce: async (envelope, _body, failures) => {
      bounces.push({ envelope, failures });
      return `DSN${bounces.length}`;
    },
  });
  let n = 0;
  const add = async (recipients: string[], from = 'alice@acme.example', done?: Map<string, 'delivered' | 'failed'>) => {
    const envelope: StoredEnvelope = { id: `Q${++n}`, from, recipients, origin: 'inbound', arrival: clock.now() };
    const body = Buffer.from('Subject: t\r\n\r\nx\r\n');
    await spool.appendMessage(envelope, body);
    queue.add(envelope, body, done);
    return envelope.id;
  };
  return { clock, queue, attempts, bounces, events, add, start: clock.now() };
}

const all = (attempt: Attempt, outcome: RecipientOutcome, unreachable = false): TransmitResult => ({
  outcomes: new Map(attempt.targets.map((t) => [t, outcome])),
  unreachable,
});

describe('Queue', () => {
  it('backs a dead destination off exponentially and delivers once it answers', async () => {
    let up = false;
    const h = harness((a) =>
      up
        ? all(a, { status: 'delivered', reply: OK, remote: 'mail2.infra.example' })
        : all(a, { status: 'deferred', reply: REFUSED }, true),
    );
    await h.add(['bob@acme.example']);
    await h.clock.advance(12_000);
    expect(h.attempts.map((a) => (a.at - h.start) / 1000)).toEqual([0, 1, 3, 7, 12]);
    up = true;
    await h.clock.advance(5_000);
    expect(h.attempts.map((a) => (a.at - h.start) / 1000)).toEqual([0, 1, 3, 7, 12, 17]);
    expect(h.queue.size).toBe(0);
    expect(h.events.filter((e) => e.type === 'delivered')).toMatchObject([
      { recipient: 'bob@acme.example', to: 'mail2.infra.example' },
    ]);
    expect(h.bounces).toEqual([]);
    expect(spool.stats().live).toBe(0);
  });

  it('counts parallel attempts that find a destination down as one failure', async () => {
    // the first round's attempts are all in flight before any of them reports
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const h = harness(async (a) => (await gate, all(a, { status: 'deferred', reply: REFUSED }, true)));
    await Promise.all([1, 2, 3, 4, 5].map(() => h.add(['bob@acme.example'])));
    open();
    await h.clock.advance(1_000);
    // five in the first round, five again one second later (not after 16 s)
    expect(h.attempts.map((a) => (a.at - h.start) / 1000)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('bounces once after the queue lifetime, with the last error, through one DSN', async () => {
    const h = harness(
      (a) =>
        a.destination === 'local'
          ? all(a, { status: 'delivered', reply: OK })
          : all(a, { status: 'deferred', reply: REFUSED }, true),
      10,
    );
    const id = await h.add(['sales@acme.example']); // alice is local, bob and carol live on store2
    await h.clock.advance(30_000);
    expect(h.bounces).toHaveLength(1);
    expect(h.bounces[0]!.envelope.id).toBe(id);
    expect(h.bounces[0]!.failures.map((f) => [f.address, f.reply.enhanced])).toEqual([
      ['bob@acme.example', '4.4.7'],
      ['carol@globex.example', '4.4.7'],
    ]);
    expect(h.bounces[0]!.failures[0]!.reply.text).toContain('connection refused');
    // no attempt after the lifetime
    expect(Math.max(...h.attempts.map((a) => a.at - h.start))).toBeLessThan(10_000);
    expect(h.queue.size).toBe(0);
    expect(h.events.filter((e) => e.type === 'bounced')).toMatchObject([{ queueId: id, dsn: 'DSN1' }]);
  });

  it('never sends a DSN about a message from the null reverse-path', async () => {
    const h = harness((a) => all(a, { status: 'deferred', reply: REFUSED }, true), 5);
    await h.add(['bob@acme.example'], '');
    await h.clock.advance(30_000);
    expect(h.bounces).toEqual([]);
    expect(h.events.filter((e) => e.type === 'bounced')).toMatchObject([{ dsn: undefined }]);
    expect(h.queue.size).toBe(0);
  });

  it('fails a 5xx recipient at once, retries a 4xx one with its message, and sends one DSN at the end', async () => {
    let remoteAttempts = 0;
    const h = harness((a) => {
      const first = a.destination !== 'local' && ++remoteAttempts === 1;
      return {
        outcomes: new Map(
          a.targets.map((t): [string, RecipientOutcome] => [
            t,
            t.startsWith('carol')
              ? {
                  status: 'failed',
                  reply: { code: 550, enhanced: '5.2.1', text: 'mailbox disabled' },
                  remote: 'mail2.infra.example',
                }
              : first
                ? { status: 'deferred', reply: { code: 451, enhanced: '4.2.0', text: 'greylisted' } }
                : { status: 'delivered', reply: OK },
          ]),
        ),
        unreachable: false,
      };
    });
    await h.add(['sales@acme.example']); // alice (local), bob and carol (store2)
    await h.clock.advance(2_000);
    const remote = h.attempts.filter((a) => a.destination === 'host:store2');
    expect(remote.map((a) => [(a.at - h.start) / 1000, a.targets])).toEqual([
      [0, ['bob@acme.example', 'carol@globex.example']],
      [1, ['bob@acme.example']],
    ]);
    expect(h.attempts.filter((a) => a.destination === 'local').map((a) => a.targets)).toEqual([['alice@acme.example']]);
    expect(h.bounces).toHaveLength(1);
    expect(h.bounces[0]!.failures).toMatchObject([
      { address: 'carol@globex.example', original: 'sales@acme.example', remote: 'mail2.infra.example' },
    ]);
  });

  it('resumes a replayed message without the targets already done', async () => {
    const h = harness((a) => all(a, { status: 'delivered', reply: OK }));
    await h.add(
      ['sales@acme.example'],
      'alice@acme.example',
      new Map([
        ['bob@acme.example', 'delivered'],
        ['alice@acme.example', 'delivered'],
      ]),
    );
    await h.clock.advance(0);
    expect(h.attempts.map((a) => a.targets)).toEqual([['carol@globex.example']]);
    await h.add(['bob@acme.example'], 'alice@acme.example', new Map([['bob@acme.example', 'delivered']]));
    await h.clock.advance(0);
    expect(h.attempts).toHaveLength(1);
    expect(h.queue.size).toBe(0);
  });

  it('retries everything at once on retryNow (postqueue -f)', async () => {
    const h = harness((a) => all(a, { status: 'deferred', reply: REFUSED }, true));
    await h.add(['bob@acme.example']);
    await h.clock.advance(3_500);
    expect(h.attempts).toHaveLength(3);
    h.queue.retryNow();
    await h.clock.advance(0);
    expect(h.attempts).toHaveLength(4);
  });

  it('tells whether mail is moving: busy during an attempt, then when the next one is due, then nothing', async () => {
    let up = false;
    let release: (() => void) | undefined;
    const h = harness(async (a) => {
      // The attempt holds until the test lets it end, as a session on the wire would.
      await new Promise<void>((r) => (release = r));
      return up
        ? all(a, { status: 'delivered', reply: OK, remote: 'mail2.infra.example' })
        : all(a, { status: 'deferred', reply: REFUSED }, true);
    });
    expect(h.queue.motion()).toEqual({ busy: false, nextIn: undefined });
    await h.add(['bob@acme.example']);
    await h.clock.advance(0);
    expect(h.queue.motion()).toEqual({ busy: true });
    release!();
    await h.clock.advance(0);
    // Deferred, the destination backs off: the first retry (1 s in the fast profile) is the next move.
    expect(h.queue.motion()).toEqual({ busy: false, nextIn: 1000 });
    await h.clock.advance(400);
    expect(h.queue.motion()).toEqual({ busy: false, nextIn: 600 });
    // retryNow starts it at once; once delivered, no attempt is left to announce (its timer is gone).
    up = true;
    h.queue.retryNow();
    expect(h.queue.motion()).toEqual({ busy: true });
    release!();
    await h.clock.advance(0);
    expect(h.queue.size).toBe(0);
    expect(h.queue.motion()).toEqual({ busy: false, nextIn: undefined });
    expect(h.clock.nextTimer()).toBeUndefined();
    expect(h.attempts).toHaveLength(2);
  });
});
