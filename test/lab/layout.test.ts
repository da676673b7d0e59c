/**
 * Where the lab puts the caller's outside domains: each exchange at addresses of its own in the
 * outside's /24 and /64, beside the outside's own address (which keeps its receiver), and never
 * at an address of the plan or of another exchange.
 */
import { describe, expect, it } from 'vitest';
import { layLab } from '../../src/lab/layout.js';
import { labNames } from '../../src/lab/names.js';
import { planOf, topology } from '../helpers/topology.js';

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
