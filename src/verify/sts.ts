/**
 * Verify's MTA-STS (RFC 8461), as a sending MTA outside the plan applies it: discover the policy
 * (`_mta-sts` TXT, §3.1), fetch it over HTTPS from `mta-sts.<domain>` (§3.3: the certificate
 * valid for that name, status 200, no redirect followed, text/plain), parse it (§3.2) and match
 * MX hosts against it (§4.1). Everything is reached through the running plan's contract: its
 * DNS, its connector (the policy host's planned address on port 443) and its CA, trusted alone.
 *
 * Written apart from the plan side (src/tls/mta-sts.ts) on purpose: a check that shares the code
 * that writes the policy agrees with its bugs.
 */
import { request } from 'node:https';
import type { Connector } from '../sandbox/engine.js';

export interface StsResolver {
  resolveTxt(name: string): Promise<string[][]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export interface FetchedPolicy {
  readonly id: string;
  readonly mode: 'enforce' | 'testing' | 'none';
  readonly mx: readonly string[];
  readonly maxAge: number;
}

export type Discovery =
  /** No `_mta-sts` TXT record: the domain has no policy (RFC 8461 §3.1). */
  | { readonly kind: 'none' }
  | { readonly kind: 'policy'; readonly policy: FetchedPolicy }
  /** A TXT record, but no valid policy could be had: why, in a sentence. */
  | { readonly kind: 'failed'; readonly id: string | undefined; readonly reason: string };

const HTTPS = 443;
const FETCH_TIMEOUT = 5_000;
/** RFC 8461 §3.3: senders may limit the policy's size; 64 KiB is the RFC's own suggestion. */
const MAX_BODY = 64 * 1024;

export async function discoverPolicy(
  domain: string,
  resolver: StsResolver,
  connector: Connector,
  ca: string | undefined,
): Promise<Discovery> {
  let records: string[];
  try {
    records = (await resolver.resolveTxt(`_mta-sts.${domain}`))
      .map((strings) => strings.join(''))
      .filter((text) => /^v=STSv1(;|$)/.test(text.trim()));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') return { kind: 'none' };
    return { kind: 'failed', id: undefined, reason: `the _mta-sts TXT lookup failed (${code ?? String(error)})` };
  }
  if (records.length === 0) return { kind: 'none' };
  // RFC 8461 §3.1: more than one STSv1 record is as if there were none to rely on.
  if (records.length > 1)
    return { kind: 'failed', id: undefined, reason: `_mta-sts.${domain} has ${records.length} STSv1 records` };
  const id = /(?:^|;)\s*id=([A-Za-z0-9]{1,32})\s*(?:;|$)/.exec(records[0]!)?.[1];
  if (!id) return { kind: 'failed', id: undefined, reason: `_mta-sts.${domain} has no valid id: "${records[0]}"` };
  if (!ca)
    return { kind: 'failed', id, reason: 'the running plan hands out no CA to validate its policy host against' };

  const host = `mta-sts.${domain}`;
  const addresses = [
    ...(await resolver.resolve6(host).catch(() => [] as string[])),
    ...(await resolver.resolve4(host).catch(() => [] as string[])),
  ];
  if (addresses.length === 0) return { kind: 'failed', id, reason: `${host} has no address` };
  let last = '';
  for (const address of addresses) {
    const endpoint = connector.endpointFor(address, HTTPS);
    if (!endpoint) {
      last = `${host} [${address}]:443 is not reachable from here`;
      continue;
    }
    const fetched = await fetchText(endpoint, host, ca);
    if (!fetched.ok) {
      last = `https://${host}/.well-known/mta-sts.txt [${address}]: ${fetched.reason}`;
      continue;
    }
    const parsed = parsePolicy(fetched.text);
    if (typeof parsed === 'string')
      return { kind: 'failed', id, reason: `the policy of ${domain} is invalid: ${parsed}` };
    return { kind: 'policy', policy: { id, ...parsed } };
  }
  return { kind: 'failed', id, reason: last };
}

type Fetched = { ok: true; text: string } | { ok: false; reason: string };

function fetchText(endpoint: { host: string; port: number }, host: string, ca: string): Promise<Fetched> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        path: '/.well-known/mta-sts.txt',
        method: 'GET',
        // The certificate must be valid for the policy host's name (RFC 8461 §3.3), under this CA alone.
        servername: host,
        ca: [ca],
        headers: { host },
        timeout: FETCH_TIMEOUT,
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // RFC 8461 §3.3: only 200 is a policy; redirects are not followed.
        if (status !== 200) {
          res.resume();
          return resolve({
            ok: false,
            reason: `HTTP ${status}${res.headers.location ? ` to ${res.headers.location}` : ''}`,
          });
        }
        const type = String(res.headers['content-type'] ?? '');
        if (!/^text\/plain\b/i.test(type)) {
          res.resume();
          return resolve({ ok: false, reason: `Content-Type "${type}" is not text/plain (RFC 8461 §3.2)` });
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > MAX_BODY) req.destroy(new Error(`larger than ${MAX_BODY} octets`));
        });
        res.on('end', () => resolve({ ok: true, text }));
        res.on('error', (error) => resolve({ ok: false, reason: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${FETCH_TIMEOUT / 1000} s`)));
    req.on('error', (error) => resolve({ ok: false, reason: error.message }));
    req.end();
  });
}

/** RFC 8461 §3.2: key/value lines; version, mode and max_age required; mx for enforce and testing. */
export function parsePolicy(text: string): Omit<FetchedPolicy, 'id'> | string {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon < 1) return `"${line}" is not a key: value line`;
    const key = line.slice(0, colon).trim();
    fields.set(key, [...(fields.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  const one = (key: string) => (fields.get(key)?.length === 1 ? fields.get(key)![0] : undefined);
  if (one('version') !== 'STSv1') return 'version is not STSv1';
  const mode = one('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none')
    return `mode "${mode ?? ''}" is not enforce, testing or none`;
  const maxAge = one('max_age');
  if (maxAge === undefined || !/^\d{1,10}$/.test(maxAge) || Number(maxAge) > 31_557_600)
    return `max_age "${maxAge ?? ''}" is not a number of seconds up to 31557600`;
  const mx = (fields.get('mx') ?? []).map((m) => m.toLowerCase().replace(/\.$/, ''));
  if (mode !== 'none' && mx.length === 0) return `mode ${mode} without any mx line`;
  return { mode, mx, maxAge: Number(maxAge) };
}

/**
 * RFC 8461 §4.1: the MX host equals a pattern, or the pattern is "*." plus a name and the host is
 * one label followed by that name. Compared label by label, case-insensitively.
 */
export function policyNames(policy: Pick<FetchedPolicy, 'mx'>, exchange: string): boolean {
  const host = exchange.toLowerCase().replace(/\.$/, '').split('.');
  return policy.mx.some((pattern) => {
    const labels = pattern.split('.');
    if (labels[0] !== '*') return labels.join('.') === host.join('.');
    return host.length === labels.length && host.slice(1).join('.') === labels.slice(1).join('.') && host[0] !== '';
  });
}
