/**
 * Topology builders for tests: a small plan that lints clean under every rule, and a way to
 * derive broken variants from it without repeating the whole document.
 */
import { parsePlan, type SiblingFile } from '../../src/topology/load.js';
import type { Plan } from '../../src/topology/types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test builds topologies of every shape, broken ones too
export type TopologyDoc = Record<string, any>;

/** Two stores and a relay-only backup for two domains, and a parked domain; lints clean under every rule, strict ones too. */
export function baseTopology(): TopologyDoc {
  return {
    version: 1,
    defaults: { ttl: 3600 },
    dns: {
      soa: { contact: 'hostmaster@example.net', refresh: 7200, retry: 1800, expire: 1209600, minimum: 300 },
      nameservers: [
        { name: 'ns1.infra.example', ipv4: ['192.0.2.53'] },
        { name: 'ns2.infra.example', ipv4: ['198.51.100.53'] },
      ],
      reverse: ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/48'],
    },
    zones: ['infra.example'],
    hosts: {
      store1: {
        fqdn: 'mail1.infra.example',
        ipv4: ['192.0.2.10'],
        ipv6: ['2001:db8::10'],
        role: 'store',
        limits: { connections: 300, mailboxes: 500, storage: '200GiB' },
      },
      store2: { fqdn: 'mail2.infra.example', ipv4: ['192.0.2.11'], role: 'store' },
      backup: { fqdn: 'mx-backup.infra.example', ipv4: ['198.51.100.25'], role: 'relay' },
    },
    domains: {
      'acme.example': {
        mx: [
          { host: 'store1', preference: 10 },
          { host: 'backup', preference: 50 },
        ],
        users: { alice: 'store1', bob: { host: 'store2', quota: '5GiB' } },
        aliases: {
          postmaster: ['alice'],
          abuse: ['alice'],
          dmarc: ['alice'],
          sales: ['alice', 'bob', 'carol@globex.example'],
        },
        dmarc: { policy: 'quarantine', rua: ['dmarc@acme.example'] },
      },
      'globex.example': {
        mx: [
          { host: 'store2', preference: 10 },
          { host: 'backup', preference: 20 },
        ],
        users: { carol: 'store2' },
        aliases: { postmaster: ['carol'], abuse: ['carol'] },
        dmarc: { policy: 'reject' },
      },
      'parked.example': { mx: null },
    },
  };
}

/** A deep copy of the base topology changed by `edit`. */
export function topology(edit: (t: TopologyDoc) => void = () => {}): TopologyDoc {
  const t = baseTopology();
  edit(t);
  return t;
}

/**
 * A file a test topology names: text (a users CSV), or bytes with a mode (a DKIM key), with a
 * `note` saying what it is where the docs show the case.
 */
export type TestFile =
  | string
  | (SiblingFile & { readonly note: string })
  /** A file that cannot be read: reading it fails with this errno code. */
  | { readonly error: string; readonly note: string };

/** Loads a topology document as the CLI would (JSON text, so positions are real). */
export async function planOf(doc: TopologyDoc | string, files: Record<string, TestFile> = {}): Promise<Plan> {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2);
  const { plan, findings } = await parsePlan(text, 'topology.yaml', async (name) => {
    const content = files[name];
    if (content === undefined) throw Object.assign(new Error(`no such file ${name}`), { code: 'ENOENT' });
    if (typeof content !== 'string' && 'error' in content)
      throw Object.assign(new Error(`cannot read ${name}`), { code: content.error });
    return content;
  });
  if (!plan) throw new Error(`test topology does not load: ${findings.map((f) => f.message).join('; ')}`);
  return plan;
}
