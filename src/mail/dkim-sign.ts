/**
 * The signing stage: a DKIM signature (RFC 6376 §5) on mail that originates at this host (local
 * submissions and DSNs), made once when the message is accepted, before it is stored, so every
 * retry sends the same signed bytes. Mail the host relays or forwards is never signed: it is not
 * the host's to vouch for.
 *
 * Which key: the message's From domain (RFC 5322 §3.6.2), or the nearest planned domain above it
 * (a DSN from MAILER-DAEMON@mail1.tower.example signs for tower.example), when this host signs for
 * it. Then one signature per active selector of that domain this host signs with: an RSA one and
 * an Ed25519 one when both are planned (RFC 8463 §6). d= is that domain, so DMARC aligns (RFC
 * 7489 §3.1.1).
 *
 * How: relaxed/relaxed canonicalization (RFC 6376 §3.4.2, §3.4.4), which survives the header
 * refolding and trailing-space changes of relays on the way; rsa-sha256 (RFC 8301 §3.1) or
 * ed25519-sha256 (RFC 8463 §3). The header fields are those RFC 6376 §5.4.1 recommends, plus the
 * MIME fields that say how the body is read; every instance present is signed, and From once
 * more than present, so a From added on the way breaks the signature (§5.4.2, §8.15).
 *
 * Built on mailauth 4.9's canonicalization and signature formatting. Its own signer is not used:
 * it parses the private key again for every signature (crypto.createPrivateKey costs more than
 * an RSA-2048 signature itself), while the keys here are the plan's, parsed once when the
 * topology loaded. The signature itself runs in libuv's thread pool (crypto.sign with a
 * callback), so an RSA-4096 signature does not stall the relays' event loop.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import body from 'mailauth/lib/dkim/body/index.js';
import header from 'mailauth/lib/dkim/header/index.js';
import tools from 'mailauth/lib/tools.js';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { activeSelectors } from '../topology/dkim.js';
import { canonicalName } from '../topology/names.js';
import type { DkimKeyType, Plan } from '../topology/types.js';

/** RFC 6376 §5.4.1's list, then Message-ID and the MIME fields (RFC 2045 §3) that say how to read the body. */
const SIGNED_FIELDS = [
  'From',
  'Reply-To',
  'Subject',
  'Date',
  'To',
  'Cc',
  'Resent-Date',
  'Resent-From',
  'Resent-To',
  'Resent-Cc',
  'In-Reply-To',
  'References',
  'List-Id',
  'List-Help',
  'List-Unsubscribe',
  'List-Subscribe',
  'List-Post',
  'List-Owner',
  'List-Archive',
  'Message-ID',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
].join(':');

interface SigningKey {
  readonly selector: string;
  readonly type: DkimKeyType;
  readonly key: KeyObject;
}

export interface MessageSigner {
  /**
   * The message with its DKIM-Signature fields on top, or as it was when this host signs nothing
   * for its From domain. A signature that cannot be made is reported and the message goes unsigned:
   * it is still the user's mail to deliver.
   */
  sign(message: Buffer, now: number): Promise<Buffer>;
}

/** The signer of one host: the plan's keys for the domains it signs, gathered once per relay. */
export function dkimSigner(plan: Plan, hostId: string, onError: (message: string) => void): MessageSigner {
  const keys = new Map<string, SigningKey[]>();
  for (const domain of plan.domains.values()) {
    const usable = activeSelectors(domain, hostId).flatMap((s) =>
      s.key.status === 'ok' && s.key.type === s.type
        ? [{ selector: s.selector, type: s.type, key: s.key.privateKey }]
        : [],
    );
    if (usable.length > 0) keys.set(domain.name, usable);
  }
  /** The planned domain at or above `name` that this host signs for. */
  const signingDomain = (name: string): string | undefined => {
    for (let d = name; ; d = d.slice(d.indexOf('.') + 1)) {
      if (keys.has(d)) return d;
      if (!d.includes('.')) return undefined;
    }
  };
  return {
    async sign(message, now) {
      if (keys.size === 0) return message;
      const end = message.indexOf('\r\n\r\n');
      const head = end < 0 ? message : message.subarray(0, end + 2);
      const { parsed } = tools.parseHeaders(head);
      const domain = fromDomain(parsed);
      const d = domain && signingDomain(domain);
      if (!d) return message;
      const hasher = body.dkimBody('relaxed', 'sha256', false);
      hasher.update(end < 0 ? Buffer.alloc(0) : message.subarray(end + 4));
      const bodyHash = hasher.digest('base64');
      const lines = tools.getSigningHeaderLines(parsed, SIGNED_FIELDS);
      // RFC 6376 §5.4.2: a name listed once more than the field occurs stands for a field that
      // does not exist, so a From added later no longer verifies.
      const signing = { keys: `${lines.keys}: From`, headers: lines.headers };
      const signatures: Buffer[] = [];
      for (const { selector, type, key } of keys.get(d)!) {
        try {
          const { canonicalizedHeader, dkimHeaderOpts } = header.generateCanonicalizedHeader('DKIM', signing, {
            signingDomain: d,
            selector,
            algorithm: `${type}-sha256`,
            canonicalization: 'relaxed/relaxed',
            bodyHash,
            signTime: new Date(now),
          });
          const b = await signHeader(type, canonicalizedHeader, key);
          const field = tools.formatSignatureHeaderLine('DKIM', { ...dkimHeaderOpts, b }, true);
          signatures.unshift(Buffer.from(`${field}\r\n`, 'latin1'));
        } catch (error) {
          onError(`DKIM signature with ${selector}._domainkey.${d} failed: ${(error as Error).message}`);
        }
      }
      return signatures.length === 0 ? message : Buffer.concat([...signatures, message]);
    },
  };
}

/**
 * RSA signs the canonical header with SHA-256 (RFC 6376 §3.3.1); Ed25519 signs its SHA-256 hash
 * with PureEdDSA (RFC 8463 §3). Base64, in the thread pool.
 */
function signHeader(type: DkimKeyType, data: Buffer, key: KeyObject): Promise<string> {
  const input = type === 'rsa' ? data : createHash('sha256').update(data).digest();
  return new Promise((resolve, reject) =>
    sign(type === 'rsa' ? 'sha256' : null, input, key, (error, signature) =>
      error ? reject(error) : resolve(signature.toString('base64')),
    ),
  );
}

/** The domain of the (first) From address, canonical (an IDN as A-labels); undefined without one. */
function fromDomain(parsed: readonly { readonly key: string; readonly line: Buffer }[]): string | undefined {
  const from = parsed.find((h) => h.key === 'from');
  if (!from) return undefined;
  const value = from.line.toString('utf8').replace(/^[^:]*:/, '');
  const first = addressparser(value, { flatten: true })[0]?.address ?? '';
  const at = first.lastIndexOf('@');
  return at < 0 ? undefined : canonicalName(first.slice(at + 1));
}
