/**
 * Verify's oracle and judge, as tables: what the plan promises for an address, which hops a copy
 * should take, and the verdict for what arrived. These decide every delivery check, so they are
 * tested on their own, against the base topology (store1, store2, relay-only backup).
 */
import { describe, expect, it } from 'vitest';
import { entryHosts, expectDelivery, expectedTrail } from '../../src/verify/expect.js';
import { judgeDelivery } from '../../src/verify/judge.js';
import type { Copy } from '../../src/verify/mailboxes.js';
import { planOf, topology } from '../helpers/topology.js';

const plan = await planOf(
  topology((t) => {
    t.domains['acme.example'].aliases.loop1 = ['loop2', 'alice'];
    t.domains['acme.example'].aliases.loop2 = ['loop1'];
    t.domains['acme.example'].aliases.everyone = ['sales', 'alice', 'postmaster'];
  }),
);
const domain = (name: string) => plan.domains.get(name)!;

describe('expectDelivery', () => {
  it.each([
    ['alice@acme.example', ['alice@acme.example store1'], []],
    ['bob@acme.example', ['bob@acme.example store2'], []],
    ['sales@acme.example', ['alice@acme.example store1', 'bob@acme.example store2', 'carol@globex.example store2'], []],
    // nested aliases reach each mailbox once
    [
      'everyone@acme.example',
      ['alice@acme.example store1', 'bob@acme.example store2', 'carol@globex.example store2'],
      [],
    ],
    // a cycle still delivers to the users inside it, once
    ['loop1@acme.example', ['alice@acme.example store1'], []],
    ['nobody@acme.example', [], []],
    ['someone@elsewhere.example', [], ['someone@elsewhere.example']],
  ])('%s', (address, mailboxes, outside) => {
    const e = expectDelivery(plan, address);
    expect(e.mailboxes.map((m) => `${m.address} ${m.hostId}`)).toEqual(mailboxes);
    expect(e.outside).toEqual(outside);
  });
});

describe('expectedTrail', () => {
  it.each([
    ['acme.example', 'store1', 'alice@acme.example', 'store1', [], ['store1']],
    ['acme.example', 'store1', 'bob@acme.example', 'store2', [], ['store1', 'store2']],
    // a relay-only entry hands the mail to the best MX below it that is up (RFC 5321 §5.1)
    ['acme.example', 'backup', 'alice@acme.example', 'store1', [], ['backup', 'store1']],
    ['acme.example', 'backup', 'bob@acme.example', 'store2', [], ['backup', 'store1', 'store2']],
    ['globex.example', 'backup', 'carol@globex.example', 'store2', ['store2'], ['backup', 'store2']],
  ])('%s entering at %s to %s', (name, entry, address, hostId, down, trail) => {
    expect(expectedTrail(plan, domain(name), entry, { address, hostId }, new Set(down))).toEqual(trail);
  });

  it('starts at the MX hosts of best preference', () => {
    expect(entryHosts(domain('acme.example'))).toEqual(['store1']);
  });
});

describe('judgeDelivery', () => {
  const copy = (address: string, hostId: string, trail: string[] = [], dsn = false): Copy => ({
    address,
    hostId,
    file: `/x/${address}`,
    trail,
    dsn,
  });
  const sales = expectDelivery(plan, 'sales@acme.example');
  const all = [
    copy('alice@acme.example', 'store1'),
    copy('bob@acme.example', 'store2'),
    copy('carol@globex.example', 'store2'),
  ];

  it('passes when every mailbox holds one copy and no other does', () => {
    expect(judgeDelivery(plan, sales, all).status).toBe('pass');
  });

  it.each([
    ['a missing copy', all.slice(1), /nothing in alice@acme\.example on store1/],
    ['a duplicate', [...all, copy('bob@acme.example', 'store2')], /2 copies in bob@acme\.example on store2/],
    ['a stray copy', [...all, copy('dave@acme.example', 'store1')], /also in dave@acme\.example on store1/],
    [
      'a copy on the wrong host',
      [all[0]!, copy('bob@acme.example', 'store1'), all[2]!],
      /also in bob@acme\.example on store1/,
    ],
  ])('fails on %s, and says what it saw', (_, copies, observed) => {
    const verdict = judgeDelivery(plan, sales, copies);
    expect(verdict.status).toBe('fail');
    expect(verdict.observed).toMatch(observed);
  });

  it("ignores DSNs about the message, and adds the relays' last word to a loss", () => {
    const alice = expectDelivery(plan, 'alice@acme.example');
    const verdict = judgeDelivery(plan, alice, [copy('alice@acme.example', 'store1', [], true)], {
      lastWord: () => 'backup bounced it: 554 5.4.6',
    });
    expect(verdict).toMatchObject({
      status: 'fail',
      observed: expect.stringMatching(/nothing in alice.*backup bounced it: 554 5\.4\.6/),
    });
  });

  it('checks the trail of each copy when asked', () => {
    const bob = expectDelivery(plan, 'bob@acme.example');
    const want = () => ['store1', 'store2'];
    expect(
      judgeDelivery(plan, bob, [copy('bob@acme.example', 'store2', ['mail1.infra.example', 'mail2.infra.example'])], {
        expectedTrail: want,
      }).status,
    ).toBe('pass');
    const detour = judgeDelivery(
      plan,
      bob,
      [copy('bob@acme.example', 'store2', ['mx-backup.infra.example', 'mail2.infra.example'])],
      { expectedTrail: want },
    );
    expect(detour).toMatchObject({
      status: 'fail',
      expected: 'bob@acme.example via mail1.infra.example → mail2.infra.example',
    });
  });
});
