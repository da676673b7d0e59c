/** MTA-STS test plans and certificates: the base topology with a web host serving acme.example's policy. */
import { tlsLayout } from '../../src/state-layout.js';
import { openPki, type TlsIdentity } from '../../src/tls/pki.js';
import { tempDir } from './temp.js';
import { topology, type TopologyDoc } from './topology.js';

/** The base plan with web host `www` (www.infra.example) serving acme.example's policy in `mode`. */
export function withSts(
  mode: 'enforce' | 'testing' = 'enforce',
  edit: (t: TopologyDoc) => void = () => {},
): TopologyDoc {
  return topology((t) => {
    t.web = { www: { fqdn: 'www.infra.example', ipv4: ['192.0.2.80'] } };
    t.domains['acme.example'].mtaSts = { mode, host: 'www' };
    edit(t);
  });
}

/** A certificate for `name` issued by a CA that is not the sandbox's (a temporary directory's own). */
export async function foreignIdentity(name: string): Promise<TlsIdentity> {
  const dir = await tempDir('foreign-ca');
  const pki = await openPki(dir, [{ id: 'x', files: tlsLayout(dir).host('x'), names: [name] }]);
  return pki.identities.get('x')!;
}
