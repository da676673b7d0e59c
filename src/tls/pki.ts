/**
 * A throwaway certificate authority per state directory, and one certificate per planned host,
 * so that relays can offer STARTTLS (RFC 3207) and the MTA-STS policy host can serve HTTPS with
 * certificates a client can validate (RFC 8461 §3.3, §4.2), against this CA and nothing else.
 *
 * Kept in <stateDir>/tls/ (state-layout.ts), keys mode 0600, PEM: `ca.crt`, `ca.key`, and
 * `<id>.crt`, `<id>.key` per subject. Files already there are reused while they still fit (the
 * CA signed the certificate, the key matches it, it names exactly the names asked for and is not
 * about to expire); anything else is issued again, so a changed plan never serves a stale name.
 *
 * ECDSA P-256 keys (generated in microseconds, unlike RSA). Node 20's crypto reads X.509 but
 * cannot write it: certificates are built with @peculiar/x509 (over WebCrypto), loaded only
 * when something has to be issued, so a sandbox start that reuses its files does not load it.
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tlsLayout } from '../state-layout.js';

/** A key and the certificate for it, PEM. */
export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

export interface TlsSubject {
  /** What the identity is looked up by ("host:mail1", "web:www1"). */
  readonly id: string;
  /** Where its certificate and key are kept (state-layout.ts tlsLayout). */
  readonly files: { readonly cert: string; readonly key: string };
  /** DNS names for subjectAltName (RFC 6125 §6.4.4: clients match these, never the CN). */
  readonly names: readonly string[];
}

export interface Pki {
  /** The CA's certificate, PEM: what a client trusts, alone. */
  readonly ca: string;
  /** Where the CA's certificate is, for tools (curl --cacert, openssl -CAfile). */
  readonly caFile: string;
  /** The identity of each subject by id. */
  readonly identities: ReadonlyMap<string, TlsIdentity & { readonly certFile: string; readonly keyFile: string }>;
}

const DAY = 86_400_000;
/** Long enough for any sandbox; a certificate is reissued once less than RENEW_BEFORE is left. */
const CA_VALIDITY = 3650 * DAY;
const LEAF_VALIDITY = 365 * DAY;
const RENEW_BEFORE = 7 * DAY;
/** Not-before in the past: a client whose clock is a little behind still accepts it. */
const BACKDATE = 3_600_000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function openPki(stateDir: string, subjects: readonly TlsSubject[], now = Date.now()): Promise<Pki> {
  const layout = tlsLayout(stateDir);
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  for (const dir of new Set(subjects.map((s) => dirname(s.files.cert)))) await mkdir(dir, { recursive: true });
  let ca = await readIdentity(layout.caCert, layout.caKey);
  const caFits = ca !== undefined && fitsCa(ca, now);
  if (!ca || !caFits) {
    ca = await issueCa(now);
    await writeIdentity(layout.caCert, layout.caKey, ca);
  }
  const caCert = new X509Certificate(ca.cert);
  const identities = new Map<string, TlsIdentity & { certFile: string; keyFile: string }>();
  for (const subject of subjects) {
    const { files } = subject;
    let identity = caFits ? await readIdentity(files.cert, files.key) : undefined;
    if (!identity || !fitsLeaf(identity, caCert, subject.names, now)) {
      identity = await issueLeaf(ca, subject.names, now);
      await writeIdentity(files.cert, files.key, identity);
    }
    identities.set(subject.id, { ...identity, certFile: files.cert, keyFile: files.key });
  }
  return { ca: ca.cert, caFile: layout.caCert, identities };
}

async function readIdentity(certFile: string, keyFile: string): Promise<TlsIdentity | undefined> {
  try {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch {
    return undefined; // missing or unreadable: issued again
  }
}

/** Key first, then the certificate, each written whole (temporary file, then rename). */
async function writeIdentity(certFile: string, keyFile: string, identity: TlsIdentity): Promise<void> {
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(keyFile + suffix, identity.key, { mode: 0o600 });
  await rename(keyFile + suffix, keyFile);
  await writeFile(certFile + suffix, identity.cert, { mode: 0o644 });
  await rename(certFile + suffix, certFile);
}

function parse(identity: TlsIdentity): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(identity.cert);
    return cert.checkPrivateKey(createPrivateKey(identity.key)) ? cert : undefined;
  } catch {
    return undefined;
  }
}

function fitsCa(identity: TlsIdentity, now: number): boolean {
  const cert = parse(identity);
  return cert !== undefined && cert.ca && Date.parse(cert.validTo) - now > RENEW_BEFORE;
}

function fitsLeaf(identity: TlsIdentity, ca: X509Certificate, names: readonly string[], now: number): boolean {
  const cert = parse(identity);
  if (!cert || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (Date.parse(cert.validTo) - now <= RENEW_BEFORE) return false;
  return sameNames(dnsNames(cert), names);
}

/** The DNS names of a certificate's subjectAltName ("DNS:a, DNS:b"; names hold no commas or quotes). */
export function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((name, i) => name === right[i]);
}

type X509 = typeof import('@peculiar/x509');
let x509: Promise<X509> | undefined;

/** @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API first. */
function loadX509(): Promise<X509> {
  return (x509 ??= import('reflect-metadata').then(() => import('@peculiar/x509')));
}

const subtle = webcrypto.subtle;

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function pemOfKey(key: webcrypto.CryptoKey): Promise<string> {
  const { PemConverter } = await loadX509();
  return PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A positive serial number of 128 random bits (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

async function issueCa(now: number): Promise<TlsIdentity> {
  const lib = await loadX509();
  const keys = await newKeys();
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    // A name of its own per state directory: two sandboxes' CAs are never confused.
    name: `CN=mxplan sandbox CA ${randomBytes(4).toString('hex')}, O=mxplan (throwaway)`,
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(now + CA_VALIDITY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await pemOfKey(keys.privateKey) };
}

async function issueLeaf(ca: TlsIdentity, names: readonly string[], now: number): Promise<TlsIdentity> {
  const lib = await loadX509();
  const caCert = new lib.X509Certificate(ca.cert);
  const caKey = await subtle.importKey('pkcs8', lib.PemConverter.decodeFirst(ca.key), ALGORITHM, false, ['sign']);
  const keys = await newKeys();
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names[0] ?? 'mxplan'}`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(now + LEAF_VALIDITY),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      // serverAuth for SMTP and HTTPS servers; clientAuth because a relay is also an SMTP client.
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
      new lib.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
      await lib.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await pemOfKey(keys.privateKey) };
}
