/**
 * DKIM keys for tests: fixed key files (test/fixtures/dkim/, made once with node:crypto and
 * committed, so the docs' examples are the same on every run), and a base plan whose domains sign.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyOf } from '../../src/topology/dkim.js';
import { ROOT } from './cli.js';
import { topology, type TestFile, type TopologyDoc } from './topology.js';

export const KEY_FIXTURES = join(ROOT, 'test', 'fixtures', 'dkim');

export type KeyFixture =
  'rsa-512' | 'rsa-1024' | 'rsa-2048' | 'rsa-2048-other' | 'rsa-4096' | 'ed25519' | 'ed25519-other' | 'ec-p256';

const NOTES: Record<KeyFixture, string> = {
  'rsa-512': 'an RSA private key of 512 bits (PEM)',
  'rsa-1024': 'an RSA private key of 1024 bits (PEM)',
  'rsa-2048': 'an RSA private key of 2048 bits (PEM)',
  'rsa-2048-other': 'another RSA private key of 2048 bits (PEM)',
  'rsa-4096': 'an RSA private key of 4096 bits (PEM)',
  ed25519: 'an Ed25519 private key (PEM)',
  'ed25519-other': 'another Ed25519 private key (PEM)',
  'ec-p256': 'an ECDSA P-256 private key (PEM)',
};

/** The PEM text of a fixture key. */
export function keyPem(name: KeyFixture): string {
  return readFileSync(join(KEY_FIXTURES, `${name}.pem`), 'utf8');
}

/** A fixture key as a test topology's sibling file, private to its owner unless `mode` says otherwise. */
export function keyFile(name: KeyFixture, mode = 0o600): TestFile {
  return { bytes: keyPem(name), mode, note: `${NOTES[name]}, mode 0${mode.toString(8)}` };
}

/** The record's p= value of a fixture key. */
export function publicKeyOf(name: KeyFixture): string {
  const key = keyOf({ bytes: Buffer.from(keyPem(name)), mode: undefined });
  if (key.status !== 'ok') throw new Error(`fixture ${name} is not a usable key`);
  return key.publicKey;
}

/**
 * The base topology with one RSA selector per domain from `defaults.dkim` (every sending host
 * signs), changed by `edit`; `files` gives each domain's key file.
 */
export function dkimTopology(edit: (t: TopologyDoc) => void = () => {}): TopologyDoc {
  return topology((t) => {
    t.defaults.dkim = [{ selector: 's2026', algorithm: 'rsa-2048', key: 'keys/{domain}.pem' }];
    edit(t);
  });
}

/** Key files for dkimTopology: acme.example and globex.example. */
export function dkimFiles(extra: Record<string, TestFile> = {}): Record<string, TestFile> {
  return {
    'keys/acme.example.pem': keyFile('rsa-2048'),
    'keys/globex.example.pem': keyFile('rsa-2048-other'),
    ...extra,
  };
}

/** One signature as dkimpy (python3-dkim) judged it. */
export interface DkimpyVerdict {
  readonly d: string;
  readonly s: string;
  readonly a: string;
  readonly h: string;
  readonly ok: boolean;
}

const DKIMPY_VERIFY = join(ROOT, 'test', 'helpers', 'dkimpy-verify.py');

/**
 * dkimpy's verdict on every signature of each message (dkimpy-verify.py), its key records asked
 * of `dns` only. Asynchronous: the responder it asks may run in this process.
 */
export function dkimpy(
  python: string,
  dns: { readonly address: string; readonly port: number },
  messages: readonly Buffer[],
): Promise<DkimpyVerdict[][]> {
  const input = JSON.stringify({
    server: dns.address,
    port: dns.port,
    messages: messages.map((m) => m.toString('base64')),
  });
  return new Promise((resolve, reject) => {
    const child = spawn(python, [DKIMPY_VERIFY], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as DkimpyVerdict[][]) : reject(new Error(`dkimpy failed: ${err}`)),
    );
    child.stdin.end(input);
  });
}
