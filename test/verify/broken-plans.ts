/**
 * Broken copies of the building example (brokenCopy edits), each failing delivery for its own
 * cause: verify's CLI tests check the report names it, the lab's comparison table that the lab
 * reaches the same verdict.
 */
export interface BrokenPlan {
  readonly name: string;
  readonly edit: (text: string) => string;
  readonly address: string;
  /** What the failure's text must say. */
  readonly says: RegExp;
}

export const broken: readonly BrokenPlan[] = [
  {
    name: 'an MX pointing at a relay that has no better MX to forward to',
    edit: (t) =>
      t.replace(
        '      - { host: mail2, preference: 10 }\n      - { host: backup, preference: 50 }\n    users:\n      carol',
        '      - { host: backup, preference: 50 }\n    users:\n      carol',
      ),
    address: 'carol@globex.example',
    says: /expected: carol@globex\.example on mail2.*observed: nothing in carol@globex\.example on mail2.*backup bounced it: 554 5\.4\.6 .*loops back to myself/s,
  },
  {
    name: 'a null-MX domain that still has users',
    edit: (t) =>
      t.replace(
        '  initech-old.example:           # the old name: parked, receives and sends no mail (RFC 7505)\n    mx: null\n',
        '  initech-old.example:\n    mx: null\n    users: { bill: mail1 }\n',
      ),
    address: 'bill@initech-old.example',
    says: /observed: 556: 556 5\.1\.10 <bill@initech-old\.example>: initech-old\.example publishes a null MX/,
  },
  {
    name: 'a user homed on a host that no MX can reach (IPv6-only home, IPv4-only MX hosts)',
    edit: (t) =>
      t
        .replace('    ipv4: [192.0.2.11]\n    ipv6: ["2001:db8:10::11"]\n', '    ipv4: [192.0.2.11]\n')
        .replace(
          '  backup:\n',
          '  mail3:\n    fqdn: mail3.tower.example\n    ipv6: ["2001:db8:10::12"]\n    role: store\n  backup:\n',
        )
        .replace('      frank: mail2', '      frank: mail3'),
    address: 'frank@globex.example',
    says: /expected: frank@globex\.example on mail3.*observed: nothing in frank@globex\.example on mail3.*mail2 deferred it: .*mail3\.tower\.example .*unreachable \(mail2 has no IPv6 address\)/s,
  },
  // Issue 10: each of these passed (the relay-only host even stored ben's mail in a Maildir).
  {
    name: 'a user homed on a relay-only host',
    edit: (t) => t.replace('      erin: mail1\n', '      erin: mail1\n      ben: backup\n'),
    address: 'ben@acme.example',
    says: /expected: ben@acme\.example in a mailbox of the plan\n.*observed: ben@acme\.example is homed on backup, a relay-only host that holds no mailboxes/,
  },
  {
    name: "an alias member in a name the plan's own DNS serves without a mail route",
    edit: (t) => t.replace('      info: [carol, frank]\n', '      info: [carol, frank, carol@mail.acme.example]\n'),
    address: 'info@globex.example',
    says: /observed: carol@mail\.acme\.example is in mail\.acme\.example, which the plan's own DNS serves \(zone acme\.example\) without a mail route: its mail bounces/,
  },
  {
    name: 'an SOA contact in a name the plan serves without a mail route',
    edit: (t) => t.replace('contact: hostmaster@tower.example', 'contact: hostmaster@mail1.tower.example'),
    address: 'hostmaster@mail1.tower.example (the SOA contact)',
    says: /observed: hostmaster@mail1\.tower\.example is in mail1\.tower\.example, which the plan's own DNS serves \(zone tower\.example\) without a mail route/,
  },
];
