/**
 * Synthetic topologies of any size, lint-clean by construction, for benchmarks and scale tests.
 *
 * Shape: `domains` mail domains with `usersPerDomain` users each (from one CSV per domain),
 * spread over enough stores that each holds at most 50,000 mailboxes, plus two relay-only
 * backups. Every domain has its home store at preference 10, the next store at 20 (it forwards
 * what is not its own) and a backup at 50. Deterministic: the same size gives the same files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function syntheticTopology({ domains, usersPerDomain }) {
  const totalUsers = domains * usersPerDomain;
  const storeCount = Math.max(2, Math.ceil(totalUsers / 50_000));
  const stores = Array.from({ length: storeCount }, (_, i) => `store${i + 1}`);
  const lines = [
    'version: 1',
    'defaults: { ttl: 3600, quota: 1GiB, connectionsPerUser: 0.2 }',
    'dns:',
    '  soa: { contact: hostmaster@synth.example, refresh: 7200, retry: 1800, expire: 1209600, minimum: 300 }',
    '  nameservers:',
    '    - { name: ns1.synth.example, ipv4: [192.0.2.53] }',
    '    - { name: ns2.synth.example, ipv4: [198.51.100.53] }',
    '  reverse: [10.0.0.0/8, 198.51.100.0/24]',
    'zones: [synth.example]',
    'hosts:',
  ];
  stores.forEach((id, i) => {
    const ip = `10.${(i >> 8) & 255}.${i & 255}.10`;
    lines.push(
      `  ${id}: { fqdn: ${id}.synth.example, ipv4: [${ip}], role: store, limits: { mailboxes: 60000, storage: 100TiB, connections: 20000 } }`,
    );
  });
  lines.push('  backup1: { fqdn: backup1.synth.example, ipv4: [198.51.100.25], role: relay }');
  lines.push('  backup2: { fqdn: backup2.synth.example, ipv4: [198.51.100.26], role: relay }');
  lines.push('domains:');
  const files = new Map();
  for (let d = 0; d < domains; d++) {
    const name = `d${d}.example`;
    // Users are spread round-robin over the stores; the domain's MX is the store of its first user.
    const home = stores[Math.floor((d * usersPerDomain) / 50_000) % storeCount];
    const next = stores[(stores.indexOf(home) + 1) % storeCount];
    const csv = ['local,host'];
    for (let u = 0; u < usersPerDomain; u++) {
      const store = stores[Math.floor((d * usersPerDomain + u) / 50_000) % storeCount];
      csv.push(`user${u},${store}`);
    }
    files.set(`users/${name}.csv`, csv.join('\n') + '\n');
    lines.push(
      `  ${name}:`,
      `    mx: [{ host: ${home}, preference: 10 }, { host: ${next}, preference: 20 }, { host: backup${(d % 2) + 1}, preference: 50 }]`,
      `    usersFile: users/${name}.csv`,
      '    aliases: { postmaster: [user0], abuse: [user0] }',
      '    dmarc: { policy: reject, rua: [dmarc@synth.example] }',
    );
  }
  lines.push(
    '  synth.example:',
    '    mx: [{ host: store1, preference: 10 }, { host: backup1, preference: 50 }]',
    '    users: { hostmaster: store1 }',
    '    aliases: { postmaster: [hostmaster], abuse: [hostmaster], dmarc: [hostmaster] }',
    '    dmarc: { policy: reject }',
  );
  return { yaml: lines.join('\n') + '\n', files };
}

/** Writes a synthetic topology into `dir` and returns the topology file's path. */
export async function writeSyntheticTopology(dir, size) {
  const { yaml, files } = syntheticTopology(size);
  await mkdir(join(dir, 'users'), { recursive: true });
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  const file = join(dir, 'topology.yaml');
  await writeFile(file, yaml);
  return file;
}
