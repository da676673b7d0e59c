/**
 * A policy reload while mail waits (Relay.reload, Queue.reroute): every waiting recipient is
 * routed again by the new policy, as Postfix's qmgr resolves each anew after `postfix reload`; a
 * recipient in flight is routed again when it comes back deferred; one the new plan no longer
 * has bounces. Driven by a fake clock and a scripted next hop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profileFor } from '../../src/mail/profiles.js';
import { Queue } from '../../src/mail/queue.js';
import type { FailedRecipient } from '../../src/mail/dsn.js';
import { Spool, type StoredEnvelope } from '../../src/mail/spool.js';
import type { TransmitResult } from '../../src/mail/transmit.js';
import { destinationKey } from '../../src/routing/destination.js';
import { expandRecipients } from '../../src/routing/expand.js';
import { hostPolicy } from '../../src/routing/policy.js';
import type { Plan } from '../../src/topology/types.js';
import { planOf, topology } from '../helpers/topology.js';
import { FakeClock } from './support/fake-clock.js';

// bob lives on store2; then on store1 (the queue's host); then nowhere.
const before = await planOf(topology());
const moved = await planOf(topology((t) => (t.domains['acme.example'].users.bob = 'store1')));
const removed = await planOf(
  topology((t) => {
    delete t.domains['acme.example'].users.bob;
    t.domains['acme.example'].aliases.sales = ['alice', 'carol@globex.example'];
  }),
);

let dir: string;
let spool: Spool;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxplan-reload-'));
  spool = (await Spool.open(dir)).spool;
});
afterEach(async () => {
  await spool.close();
  await rm(dir, { recursive: true, force: true });
});

/** store1's queue under `plan` (changed by reload), with a next hop that answers as told. */
function store1(answer: (destination: string) => Promise<'delivered' | 'deferred'>) {
  const clock = new FakeClock();
  let plan: Plan = before;
  const attempts: string[] = [];
  const bounces: FailedRecipient[][] = [];
  const queue = new Queue({
    host: 'store1',
    spool,
    clock,
    profile: profileFor('fast', before.hosts.get('store1')!, { queueLifetime: 600 }),
    log: () => {},
    expand: (envelope) => expandRecipients(hostPolicy(plan, 'store1'), envelope.recipients, 'internal'),
    deliver: async (destination, delivery): Promise<TransmitResult> => {
      const key = destinationKey(destination);
      attempts.push(`${key} ${delivery.targets.map((t) => t.address).join(',')}`);
      const status = await answer(key);
      const reply =
        status === 'delivered'
          ? { code: 250, enhanced: '2.0.0', text: 'Ok' }
          : { code: 451, enhanced: '4.4.1', text: 'connection refused' };
      return {
        outcomes: new Map(delivery.targets.map((t) => [t.address, { status, reply }])),
        unreachable: status === 'deferred',
      };
    },
    bounce: async (_envelope, _body, failures) => {
      bounces.push([...failures]);
      return 'DSN';
    },
  });
  const add = async (recipients: string[]) => {
    const envelope: StoredEnvelope = {
      id: `Q${attempts.length}${recipients.length}`,
      from: 'carol@globex.example',
      recipients,
      origin: 'inbound',
      arrival: clock.now(),
    };
    const body = Buffer.from('Subject: t\r\n\r\nx\r\n');
    await spool.appendMessage(envelope, body);
    queue.add(envelope, body);
  };
  const reload = (next: Plan) => {
    plan = next;
    queue.reroute();
  };
  return { clock, queue, attempts, bounces, add, reload };
}

const store2Down = async (destination: string): Promise<'delivered' | 'deferred'> =>
  destination === 'host:store2' ? 'deferred' : 'delivered';

describe('Queue.reroute', () => {
  it('routes a recipient waiting for its old home to the new one', async () => {
    const q = store1(store2Down);
    await q.add(['bob@acme.example']);
    await q.clock.advance(2_000);
    expect(q.attempts.every((a) => a === 'host:store2 bob@acme.example')).toBe(true);
    const tried = q.attempts.length;
    q.reload(moved);
    await q.clock.advance(100);
    expect(q.attempts.slice(tried)).toEqual(['local bob@acme.example']);
    expect(q.queue.size).toBe(0);
    expect(q.bounces).toEqual([]);
  });

  it('routes again a recipient that was in flight during the reload and came back deferred', async () => {
    let release!: () => void;
    const q = store1(async (destination) => {
      if (destination !== 'host:store2') return 'delivered';
      await new Promise<void>((r) => (release = r));
      return 'deferred';
    });
    await q.add(['bob@acme.example']);
    await q.clock.advance(0);
    expect(q.attempts).toEqual(['host:store2 bob@acme.example']);
    q.reload(moved);
    release();
    await q.clock.advance(100);
    expect(q.attempts).toEqual(['host:store2 bob@acme.example', 'local bob@acme.example']);
    expect(q.queue.size).toBe(0);
  });

  it('bounces a waiting recipient the new plan no longer has, with its original recipient', async () => {
    let up = false;
    const q = store1(async (destination) => (destination === 'host:store2' && !up ? 'deferred' : 'delivered'));
    await q.add(['sales@acme.example']);
    await q.clock.advance(1_500);
    q.reload(removed);
    await q.clock.advance(100);
    // bob has gone from the plan: carol alone still waits for store2.
    expect(q.queue.list()[0]!.recipients.map((r) => r.address)).toEqual(['carol@globex.example']);
    up = true;
    q.queue.retryNow();
    await q.clock.advance(100);
    expect(q.bounces).toEqual([
      [
        expect.objectContaining({
          address: 'bob@acme.example',
          original: 'sales@acme.example',
          reply: expect.objectContaining({ code: 550 }),
        }),
      ],
    ]);
    expect(q.queue.size).toBe(0);
  });
});
