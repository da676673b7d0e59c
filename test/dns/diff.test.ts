import { describe, expect, it } from 'vitest';
import { diffRecords, diffZones } from '../../src/dns/diff.js';
import type { ResourceRecord, Zone } from '../../src/dns/records.js';
import { recordChangeLine } from '../../src/change/format.js';

const mx = (preference: number, exchange: string, ttl = 3600): ResourceRecord => ({
  name: 'acme.example',
  type: 'MX',
  ttl,
  data: { preference, exchange },
});
const txt = (text: string, ttl = 3600): ResourceRecord => ({ name: 'acme.example', type: 'TXT', ttl, data: [text] });
const a = (name: string, address: string): ResourceRecord => ({ name, type: 'A', ttl: 3600, data: address });

describe('diffRecords', () => {
  const cases: { name: string; before: ResourceRecord[]; after: ResourceRecord[]; lines: string[] }[] = [
    { name: 'identical sets', before: [mx(10, 'mail1.x')], after: [mx(10, 'mail1.x')], lines: [] },
    {
      name: 'an added MX is a create',
      before: [mx(10, 'mail1.x')],
      after: [mx(10, 'mail1.x'), mx(20, 'mail2.x')],
      lines: ['+ CREATE acme.example. 3600 IN MX 20 mail2.x.'],
    },
    {
      name: 'a replaced exchange is a modify, paired in canonical order',
      before: [mx(10, 'mail1.x'), mx(50, 'backup.x')],
      after: [mx(10, 'mail3.x'), mx(50, 'backup.x')],
      lines: ['± MODIFY acme.example. 3600 IN MX 10 mail1.x. -> acme.example. 3600 IN MX 10 mail3.x.'],
    },
    {
      name: 'a TTL change alone is modify-ttl, kept apart',
      before: [txt('v=spf1 -all', 3600)],
      after: [txt('v=spf1 -all', 300)],
      lines: ['± MODIFY-TTL acme.example. 300 IN TXT "v=spf1 -all" ttl=(3600->300)'],
    },
    {
      name: 'more removed than added: the rest are deletes',
      before: [mx(10, 'a.x'), mx(20, 'b.x'), mx(30, 'c.x')],
      after: [mx(15, 'd.x')],
      lines: [
        '± MODIFY acme.example. 3600 IN MX 10 a.x. -> acme.example. 3600 IN MX 15 d.x.',
        '- DELETE acme.example. 3600 IN MX 20 b.x.',
        '- DELETE acme.example. 3600 IN MX 30 c.x.',
      ],
    },
    {
      name: 'changes come in canonical order: owner, then type',
      before: [a('mail.acme.example', '192.0.2.1'), txt('old')],
      after: [txt('new'), a('mail.acme.example', '192.0.2.2'), mx(10, 'mail.acme.example')],
      lines: [
        '+ CREATE acme.example. 3600 IN MX 10 mail.acme.example.',
        '± MODIFY acme.example. 3600 IN TXT "old" -> acme.example. 3600 IN TXT "new"',
        '± MODIFY mail.acme.example. 3600 IN A 192.0.2.1 -> mail.acme.example. 3600 IN A 192.0.2.2',
      ],
    },
    {
      name: 'TXT split differently is a different record',
      before: [{ name: 'acme.example', type: 'TXT', ttl: 60, data: ['ab'] }],
      after: [{ name: 'acme.example', type: 'TXT', ttl: 60, data: ['a', 'b'] }],
      lines: ['± MODIFY acme.example. 60 IN TXT "ab" -> acme.example. 60 IN TXT "a" "b"'],
    },
  ];
  it.each(cases)('$name', ({ before, after, lines }) => {
    expect(diffRecords('acme.example', before, after).map(recordChangeLine)).toEqual(lines);
  });

  it('ignores the SOA serial, and sees every other SOA field', () => {
    const soa = (serial: number, minimum: number): ResourceRecord => ({
      name: 'acme.example',
      type: 'SOA',
      ttl: 3600,
      data: { mname: 'ns1.x', rname: 'h.x', serial, refresh: 1, retry: 1, expire: 1, minimum },
    });
    expect(diffRecords('acme.example', [soa(1, 300)], [soa(2, 300)])).toEqual([]);
    expect(diffRecords('acme.example', [soa(1, 300)], [soa(2, 600)]).map((c) => c.kind)).toEqual(['modify']);
  });
});

describe('diffZones', () => {
  it('marks zones that only one side has, in canonical order of their apex', () => {
    const zone = (origin: string, records: ResourceRecord[]): Zone => ({ origin, kind: 'domain', records });
    const diffs = diffZones(
      [zone('b.example', [a('b.example', '192.0.2.1')]), zone('same.example', [a('same.example', '192.0.2.9')])],
      [zone('same.example', [a('same.example', '192.0.2.9')]), zone('a.example', [a('a.example', '192.0.2.2')])],
    );
    expect(diffs.map((d) => [d.origin, d.status, d.changes.map((c) => c.kind)])).toEqual([
      ['a.example', 'new', ['create']],
      ['b.example', 'removed', ['delete']],
    ]);
  });
});
