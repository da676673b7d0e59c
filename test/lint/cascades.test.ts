/**
 * One cause, one finding: a single mistake in the base plan, linted by the whole catalogue (strict
 * set included), gives the one finding that names it, not the others it would set off.
 */
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/run.js';
import { planOf, topology, type TopologyDoc } from '../helpers/topology.js';

const cases: [string, (t: TopologyDoc) => void, string[]][] = [
  [
    'an MX target that is no planned host',
    (t) => (t.domains['acme.example'].mx[0].host = 'mail1'),
    ['mx-target-planned /domains/acme.example/mx/0'],
  ],
  [
    'a user homed on a misspelt host',
    (t) => (t.domains['acme.example'].users.bob = 'stor2'),
    ['user-home-planned /domains/acme.example/users/bob'],
  ],
  [
    'a misspelt alias member',
    (t) => (t.domains['acme.example'].aliases.sales = ['alice', 'bbo']),
    ['alias-members-exist /domains/acme.example/aliases/sales/1'],
  ],
  [
    'an alias member with a bad local part in a planned domain',
    (t) => (t.domains['acme.example'].aliases.sales = ['alice', 'b b@acme.example']),
    ['address-syntax-valid /domains/acme.example/aliases/sales/1'],
  ],
  [
    'a host named outside every managed zone',
    (t) => (t.hosts.backup.fqdn = 'mx.isp.example.net'),
    ['host-fqdn-in-managed-zone /hosts/backup/fqdn'],
  ],
  [
    'an alias member in a misspelt planned domain',
    (t) => t.domains['acme.example'].aliases.sales.push('dave@globex.exmaple'),
    ['address-domain-not-misspelt /domains/acme.example/aliases/sales/3'],
  ],
  [
    'an alias member in the infrastructure zone',
    (t) => t.domains['acme.example'].aliases.sales.push('noc@infra.example'),
    ['alias-members-exist /domains/acme.example/aliases/sales/3'],
  ],
  [
    'a domain written twice in different case',
    (t) => (t.domains['ACME.example'] = { mx: null }),
    ['domain-unique /domains/ACME.example'],
  ],
];

describe('a single mistake gives a single finding', () => {
  it.each(cases)('%s', async (_, edit, expected) => {
    const findings = lint(await planOf(topology(edit)), { strict: true });
    expect(findings.map((f) => `${f.rule} ${f.location.path}`)).toEqual(expected);
  });
});
