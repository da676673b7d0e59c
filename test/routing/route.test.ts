import { describe, expect, it } from 'vitest';
import { refusalReply } from '../../src/mail/replies.js';
import type { Destination } from '../../src/routing/destination.js';
import { expandRecipients } from '../../src/routing/expand.js';
import { hostPolicy } from '../../src/routing/policy.js';
import { route, type RouteDecision } from '../../src/routing/route.js';
import { planOf, topology } from '../helpers/topology.js';

/**
 * The base topology: store1 (mail1, MX 10 for acme), store2 (mail2, MX 10 for globex, home of bob
 * and carol), backup (relay, MX 50 for acme and 20 for globex); parked.example has a null MX.
 * Added here: initech.example, whose only MX is the relay (a plan error: the relay has no better
 * MX to hand its mail to), and aliases that loop or leave the plan.
 */
const plan = await planOf(
  topology((t) => {
    t.domains['initech.example'] = {
      mx: [{ host: 'backup', preference: 5 }],
      users: { dave: 'store1' },
      aliases: { team: ['dave', 'bob@acme.example'] },
    };
    t.domains['acme.example'].aliases.loop1 = ['loop2'];
    t.domains['acme.example'].aliases.loop2 = ['loop1', 'alice'];
    t.domains['acme.example'].aliases.friends = ['alice', 'partner@example.com'];
    t.domains['acme.example'].aliases.everyone = ['sales', 'alice', 'postmaster'];
  }),
);

/** A destination as one short string, so the table reads like a routing listing. */
function showDestination(to: Destination): string {
  switch (to.kind) {
    case 'local':
      return 'deliver-local';
    case 'host':
      return `forward ${to.host.id}`;
    case 'mx':
      return `relay-to-mx ${to.domain}`;
  }
}

function show(d: RouteDecision): string {
  switch (d.kind) {
    case 'deliver':
      return showDestination(d.to);
    case 'expand':
      return `expand ${d.members.join(',')}`;
    case 'refuse': {
      const reply = refusalReply(d.address, d.refusal);
      return `reject ${reply.code} ${reply.enhanced}`;
    }
  }
}

describe('route', () => {
  const cases: [host: string, recipient: string, origin: 'inbound' | 'internal', expected: string][] = [
    // the primary MX and home of alice
    ['store1', 'alice@acme.example', 'inbound', 'deliver-local'],
    ['store1', 'Alice@ACME.example', 'inbound', 'deliver-local'],
    ['store1', 'bob@acme.example', 'inbound', 'forward store2'],
    ['store1', 'sales@acme.example', 'inbound', 'expand alice@acme.example,bob@acme.example,carol@globex.example'],
    ['store1', 'nobody@acme.example', 'inbound', 'reject 550 5.1.1'],
    ['store1', 'someone@example.com', 'inbound', 'reject 550 5.7.1'],
    ['store1', 'someone@example.com', 'internal', 'relay-to-mx example.com'],
    ['store1', 'x@parked.example', 'inbound', 'reject 556 5.1.10'],
    ['store1', 'x@parked.example', 'internal', 'reject 556 5.1.10'],
    // store1 is neither MX for globex nor home of any of its users: relaying is refused...
    ['store1', 'carol@globex.example', 'inbound', 'reject 550 5.7.1'],
    // ...but mail it generates itself (an alias member, a DSN) goes to carol's home
    ['store1', 'carol@globex.example', 'internal', 'forward store2'],
    // store2 stores bob (acme) without being an MX of acme: it accepts his forwarded mail
    ['store2', 'bob@acme.example', 'inbound', 'deliver-local'],
    ['store2', 'alice@acme.example', 'inbound', 'forward store1'],
    ['store2', 'carol@globex.example', 'inbound', 'deliver-local'],
    // the relay-only backup validates like the primary, then hands mail to a more preferred MX
    ['backup', 'alice@acme.example', 'inbound', 'relay-to-mx acme.example'],
    ['backup', 'sales@acme.example', 'inbound', 'relay-to-mx acme.example'],
    ['backup', 'nobody@acme.example', 'inbound', 'reject 550 5.1.1'],
    ['backup', 'carol@globex.example', 'inbound', 'relay-to-mx globex.example'],
    ['backup', 'someone@example.com', 'inbound', 'reject 550 5.7.1'],
    ['backup', 'x@parked.example', 'inbound', 'reject 556 5.1.10'],
    // as the best MX of initech the relay still only relays: next-hop finds no MX below it
    ['backup', 'dave@initech.example', 'inbound', 'relay-to-mx initech.example'],
    ['backup', 'team@initech.example', 'inbound', 'relay-to-mx initech.example'],
    ['backup', 'nobody@initech.example', 'inbound', 'reject 550 5.1.1'],
    ['store1', 'dave@initech.example', 'inbound', 'deliver-local'],
    ['store2', 'dave@initech.example', 'inbound', 'reject 550 5.7.1'],
    ['store1', 'not-an-address', 'inbound', 'reject 501 5.1.3'],
    // RFC 5321 §4.5.1: a bare postmaster is the postmaster of the domain the host serves first
    // (plan order: acme.example for all three), whatever its case
    ['store1', 'postmaster', 'inbound', 'expand alice@acme.example'],
    ['store1', 'PostMaster', 'inbound', 'expand alice@acme.example'],
    ['store2', 'postmaster', 'inbound', 'expand alice@acme.example'],
    ['backup', 'postmaster', 'inbound', 'relay-to-mx acme.example'],
    // RFC 5321 §4.1.2: a quoted local part is compared unquoted
    ['store1', '"alice"@acme.example', 'inbound', 'deliver-local'],
    ['store1', '"Ali\\ce"@acme.example', 'inbound', 'deliver-local'],
    ['store1', '"bob"@acme.example', 'inbound', 'forward store2'],
    ['store1', '"no body"@acme.example', 'inbound', 'reject 550 5.1.1'],
  ];
  it.each(cases)('%s: %s (%s) -> %s', (host, recipient, origin, expected) => {
    expect(show(route(hostPolicy(plan, host), recipient, origin))).toBe(expected);
  });

  it('names the mailbox as the plan does: a bare postmaster qualified, a quoted local part unquoted', () => {
    expect(route(hostPolicy(plan, 'store1'), 'Postmaster')).toMatchObject({ address: 'postmaster@acme.example' });
    expect(route(hostPolicy(plan, 'store1'), '"alice"@acme.example')).toMatchObject({ address: 'alice@acme.example' });
    // not a dot-atom unquoted: it stays quoted, so an address outside the plan is sent on as given
    expect(route(hostPolicy(plan, 'store1'), '"a b"@example.com', 'internal')).toMatchObject({
      address: '"a b"@example.com',
    });
  });

  it('refuses a host that is not planned (a programming error, not a reply)', () => {
    expect(() => hostPolicy(plan, 'nope')).toThrow(/not in the plan/);
  });
});

describe('expandRecipients', () => {
  const cases: [host: string, recipients: string[], targets: string[], failures: string[]][] = [
    [
      'store1',
      ['sales@acme.example'],
      ['alice@acme.example deliver-local', 'bob@acme.example forward store2', 'carol@globex.example forward store2'],
      [],
    ],
    // once per final mailbox, however many aliases reach it
    [
      'store1',
      ['everyone@acme.example', 'alice@acme.example'],
      ['alice@acme.example deliver-local', 'bob@acme.example forward store2', 'carol@globex.example forward store2'],
      [],
    ],
    // a cycle ends at the second visit
    ['store1', ['loop1@acme.example'], ['alice@acme.example deliver-local'], []],
    // members outside the plan are relayed out through their MX
    [
      'store1',
      ['friends@acme.example'],
      ['alice@acme.example deliver-local', 'partner@example.com relay-to-mx example.com'],
      [],
    ],
    // the backup does not expand: the primary does
    [
      'backup',
      ['sales@acme.example', 'carol@globex.example'],
      ['sales@acme.example relay-to-mx acme.example', 'carol@globex.example relay-to-mx globex.example'],
      [],
    ],
    ['backup', ['team@initech.example'], ['team@initech.example relay-to-mx initech.example'], []],
  ];
  it.each(cases)('%s: %j', (host, recipients, targets, failures) => {
    const result = expandRecipients(hostPolicy(plan, host), recipients);
    expect(result.targets.map((t) => `${t.address} ${showDestination(t.to)}`)).toEqual(targets);
    expect(result.failures.map((f) => `${f.address} ${refusalReply(f.address, f.refusal).code}`)).toEqual(failures);
  });

  it('keeps the original recipient of every member (RFC 3461 ORCPT)', () => {
    const result = expandRecipients(hostPolicy(plan, 'store1'), ['sales@acme.example']);
    expect(new Set(result.targets.map((t) => t.original))).toEqual(new Set(['sales@acme.example']));
  });

  it('reports a member that cannot be delivered as a failure, not a target', () => {
    const broken = expandRecipients(hostPolicy(plan, 'store1'), ['x@parked.example', 'alice@acme.example'], 'internal');
    expect(broken.targets.map((t) => t.address)).toEqual(['alice@acme.example']);
    const replies = broken.failures.map((f) => ({ address: f.address, ...refusalReply(f.address, f.refusal) }));
    expect(replies.map((f) => `${f.address} ${f.code} ${f.enhanced}`)).toEqual(['x@parked.example 556 5.1.10']);
  });
});
