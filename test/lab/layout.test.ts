/**
 * Where the lab puts the caller's outside domains: each exchange at addresses of its own in the
 * outside's /24 and /64, beside the outside's own address (which keeps its receiver), and never
 * at an address of the plan or of another exchange. Where the web hosts stand: a namespace of
 * their own, or the namespace of the host whose addresses they have.
 */
import { describe, expect, it } from 'vitest';
import { layLab } from '../../src/lab/layout.js';
import { labNames } from '../../src/lab/names.js';
import { planOf, topology, type TopologyDoc } from '../helpers/topology.js';

const plan = await planOf(topology());
const names = labNames('mxlab-1-1-1');

describe('the lab layout of outside domains', () => {
  it('gives each exchange an IPv4 and an IPv6 address of the outside, the outside keeping its own first', () => {
    const layout = layLab(plan, names, undefined, ['receiver.test', 'Other.Test.']);
    expect(layout.exchanges).toEqual([
      { domain: 'receiver.test', exchange: 'mx.receiver.test', addresses: ['203.0.113.25', '3fff::25'] },
      { domain: 'other.test', exchange: 'mx.other.test', addresses: ['203.0.113.26', '3fff::26'] },
    ]);
    expect(layout.outside.ipv4).toEqual(['203.0.113.1', '203.0.113.25', '203.0.113.26']);
    expect(layout.outside.ipv6).toEqual(['3fff::1', '3fff::25', '3fff::26']);
  });

  it('passes over the outside address itself', () => {
    const layout = layLab(plan, names, { ipv4: '198.18.7.25', ipv6: '2001:db8:77::25' }, ['receiver.test']);
    expect(layout.exchanges[0]!.addresses).toEqual(['198.18.7.26', '2001:db8:77::26']);
  });

  it('publishes none unless asked', () => {
    const layout = layLab(plan, names);
    expect(layout.exchanges).toEqual([]);
    expect(layout.outside.ipv4).toEqual(['203.0.113.1']);
  });

  it('refuses an outside domain inside a zone of the plan', () => {
    expect(() => layLab(plan, names, undefined, ['x.acme.example'])).toThrow(
      /outside domain x\.acme\.example overlaps the plan's zone acme\.example/,
    );
  });
});

describe('the lab layout of web hosts (the MTA-STS policy hosts)', () => {
  const withWeb = (www: Record<string, unknown>) =>
    planOf(
      topology((t) => {
        t.web = { www: { fqdn: 'www.infra.example', ...www } };
        t.domains['acme.example'].mtaSts = { mode: 'enforce', host: 'www' };
      }),
    );

  it('stands a web host at addresses of its own in a namespace of its own', async () => {
    const layout = layLab(await withWeb({ ipv4: ['192.0.2.80'] }), names);
    const machine = layout.web.get('www')!;
    expect(machine).toMatchObject({
      namespace: 'mxlab-1-1-1-web-www',
      kind: 'web',
      webId: 'www',
      ipv4: ['192.0.2.80'],
    });
    expect(layout.machines).toContain(machine);
  });

  it("serves a web host at a mail host's addresses from that host's namespace", async () => {
    const layout = layLab(await withWeb({ ipv4: ['192.0.2.10'] }), names);
    expect(layout.web.get('www')).toBe(layout.host('store1'));
  });

  it("refuses a web host with only some of a host's addresses, naming both", async () => {
    const plan = await withWeb({ ipv4: ['192.0.2.10', '192.0.2.81'] });
    expect(() => layLab(plan, names)).toThrow(
      /web host www shares addresses with host store1 but also has 192\.0\.2\.81: the lab serves it from one namespace/,
    );
  });
});

describe('the lab layout after a switch of plans (switchTo)', () => {
  const retired = (from: typeof plan, to: typeof plan) => [...from.hosts.values()].filter((h) => !to.hosts.has(h.id));

  it('gives a new host a machine on the next port, before the outside, and keeps the retired host', async () => {
    const layout = layLab(plan, names);
    const ports = layout.machines.map((m) => m.port);
    const next = await planOf(
      topology((t) => {
        delete t.hosts.backup;
        t.hosts.backup2 = { fqdn: 'mx2.infra.example', ipv4: ['198.51.100.26'], role: 'relay' };
        for (const d of ['acme.example', 'globex.example'])
          for (const mx of t.domains[d].mx) if (mx.host === 'backup') mx.host = 'backup2';
      }),
    );
    const change = layout.switchTo(plan, next, retired(plan, next));
    expect(change.moved).toEqual([]);
    expect(change.added).toEqual([
      expect.objectContaining({
        namespace: 'mxlab-1-1-1-host-backup2',
        kind: 'host',
        ipv4: ['198.51.100.26'],
        port: Math.max(...ports) + 1,
      }),
    ]);
    expect(layout.host('backup2')).toBe(change.added[0]);
    expect(layout.host('backup').ipv4).toEqual(['198.51.100.25']);
    expect(layout.machines.at(-1)).toBe(layout.outside);
    expect(new Set(layout.machines.map((m) => m.mac)).size).toBe(layout.machines.length);
  });

  it('moves a host whose addresses change, on the same port', async () => {
    const layout = layLab(plan, names);
    const before = layout.host('store2');
    const next = await planOf(topology((t) => (t.hosts.store2.ipv4 = ['192.0.2.12'])));
    const change = layout.switchTo(plan, next, []);
    expect(change.moved).toEqual([{ before, after: { ...before, ipv4: ['192.0.2.12'] } }]);
    expect(layout.host('store2')).toBe(change.moved[0]!.after);
    expect(layout.machines).toContain(change.moved[0]!.after);
    expect(layout.machines).not.toContain(before);
  });

  it.each([
    [
      'a name server that moves',
      (t: TopologyDoc) => (t.dns.nameservers[1].ipv4 = ['198.51.100.54']),
      /keeps the name servers it started with, and the new plan changes them \(ns1\.infra\.example 192\.0\.2\.53; ns2\.infra\.example 198\.51\.100\.53 → ns1\.infra\.example 192\.0\.2\.53; ns2\.infra\.example 198\.51\.100\.54\)/,
    ],
    [
      'a new host at the address of a retired one, which still runs',
      (t: TopologyDoc) => {
        delete t.hosts.backup;
        t.hosts.backup2 = { fqdn: 'mx2.infra.example', ipv4: ['198.51.100.25'], role: 'relay' };
        for (const d of ['acme.example', 'globex.example'])
          for (const mx of t.domains[d].mx) if (mx.host === 'backup') mx.host = 'backup2';
      },
      /host backup2 and host backup \(retired, running until taken down\) both have the address 198\.51\.100\.25/,
    ],
    [
      "a host moved into the outside's network",
      (t: TopologyDoc) => (t.hosts.store2.ipv4 = ['203.0.113.9']),
      /host store2 has the address 203\.0\.113\.9, in 203\.0\.113\.0\/24/,
    ],
  ])('refuses %s, and changes nothing', async (_name, edit, message) => {
    const layout = layLab(plan, names);
    const machines = [...layout.machines];
    const next = await planOf(topology(edit));
    expect(() => layout.switchTo(plan, next, retired(plan, next))).toThrow(message);
    expect(layout.machines).toEqual(machines);
  });
});
