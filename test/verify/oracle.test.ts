/**
 * Verify's oracle and judge, as tables: what the plan promises for an address, which hops a copy
 * should take, and the verdict for what arrived. These decide every delivery check, so they are
 * tested on their own, against the base topology (store1, store2, relay-only backup).
 */
import { describe, expect, it } from 'vitest';
import { entryHosts, expectDelivery, expectedTrail, publishedContacts } from '../../src/verify/expect.js';
import { judgeDelivery, judgeNotTaken } from '../../src/verify/judge.js';
import type { Copy } from '../../src/verify/mailboxes.js';
import { planOf, topology } from '../helpers/topology.js';

const plan = await planOf(
  topology((t) => {
    t.domains['acme.example'].aliases.loop1 = ['loop2', 'alice'];
    t.domains['acme.example'].aliases.loop2 = ['loop1'];
    t.domains['acme.example'].aliases.everyone = ['sales', 'alice', 'postmaster'];
    // Mail the plan itself loses: a user where no mailbox can be, members in names the plan serves without a mailbox.
    t.domains['acme.example'].users.ben = 'backup';
    t.domains['acme.example'].users.gil = 'store9';
    t.domains['acme.example'].aliases.ops = [
      'alice',
      'carol@mail.acme.example',
      'noc@infra.example',
      'nobody',
      'x@parked.example',
      'someone@elsewhere.example',
    ];
    t.domains['acme.example'].aliases.crew = ['alice', 'ben'];
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

  // "Outside the plan" is only a name the plan does not serve; the plan's own DNS decides the rest.
  it.each([
    ['alice@acme.example', []],
    ['sales@acme.example', []],
    ['ben@acme.example', ['ben@acme.example is homed on backup, a relay-only host that holds no mailboxes']],
    ['gil@acme.example', ['gil@acme.example is homed on store9, which is not a planned host']],
    ['crew@acme.example', ['ben@acme.example is homed on backup, a relay-only host that holds no mailboxes']],
    ['nobody@acme.example', ['nobody@acme.example is not a planned address of acme.example: its mail bounces']],
    [
      'ops@acme.example',
      [
        "carol@mail.acme.example is in mail.acme.example, which the plan's own DNS serves (zone acme.example) without a mail route: its mail bounces",
        'nobody@acme.example is not a planned address of acme.example: its mail bounces',
        "noc@infra.example is in infra.example, which the plan's own DNS serves (zone infra.example) without a mail route: its mail bounces",
        'x@parked.example is in parked.example, which publishes a null MX (RFC 7505): its mail bounces',
      ],
    ],
    ['someone@elsewhere.example', []],
  ])('%s: the mail the plan itself loses, and why', (address, why) => {
    expect(expectDelivery(plan, address).lost.map((l) => l.why)).toEqual(why);
  });

  it('keeps the members the plan serves apart from those that leave it', () => {
    const ops = expectDelivery(plan, 'ops@acme.example');
    expect(ops.mailboxes.map((m) => `${m.address} ${m.hostId}`)).toEqual(['alice@acme.example store1']);
    expect(ops.outside).toEqual(['someone@elsewhere.example']);
    expect(ops.lost.map((l) => l.address)).toEqual([
      'carol@mail.acme.example',
      'nobody@acme.example',
      'noc@infra.example',
      'x@parked.example',
    ]);
  });

  it('knows the addresses the plan publishes for others to write to', () => {
    expect(publishedContacts(plan)).toEqual(
      new Map([
        ['hostmaster@example.net', ['the SOA contact']],
        ['dmarc@acme.example', ['DMARC rua of acme.example']],
      ]),
    );
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

  // From the plan alone: whether the relays stored the copy where no mailbox can be, or not at all.
  it.each([
    ['no copy anywhere', []],
    ["a copy in the relay-only host's Maildir", [copy('ben@acme.example', 'backup')]],
  ])('fails mail to a user homed on a relay-only host, with %s, naming the cause', (_, copies) => {
    const verdict = judgeDelivery(plan, expectDelivery(plan, 'ben@acme.example'), copies);
    expect(verdict).toMatchObject({
      status: 'fail',
      expected: 'ben@acme.example in a mailbox of the plan',
      observed: expect.stringMatching(
        /^ben@acme\.example is homed on backup, a relay-only host that holds no mailboxes; arrived: /,
      ),
    });
  });

  it('fails an alias whose other members all got their copy when one member is lost', () => {
    const ops = expectDelivery(plan, 'ops@acme.example');
    const verdict = judgeDelivery(plan, ops, [copy('alice@acme.example', 'store1')]);
    expect(verdict.status).toBe('fail');
    expect(verdict.expected).toMatch(
      /^alice@acme\.example on store1, carol@mail\.acme\.example in a mailbox of the plan/,
    );
    expect(verdict.observed).toMatch(
      /carol@mail\.acme\.example is in mail\.acme\.example, which the plan's own DNS serves/,
    );
  });

  it("names the plan's cause when the hosts refused such mail, and the refusal otherwise", () => {
    expect(judgeNotTaken(expectDelivery(plan, 'ben@acme.example'), 'accepted (250) by an MX host', '550: no')).toEqual({
      status: 'fail',
      expected: 'ben@acme.example in a mailbox of the plan',
      observed: 'ben@acme.example is homed on backup, a relay-only host that holds no mailboxes; 550: no',
    });
    expect(
      judgeNotTaken(expectDelivery(plan, 'alice@acme.example'), 'accepted (250) by an MX host', '451: later'),
    ).toEqual({ status: 'fail', expected: 'accepted (250) by an MX host', observed: '451: later' });
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
