/**
 * Where the lab can run: Linux, as root with CAP_NET_ADMIN (namespaces, links, addresses) and
 * CAP_SYS_ADMIN (`ip netns` mounts), with iproute2. Anywhere else the loopback sandbox runs
 * the same plan without privileges.
 */
import { readFileSync } from 'node:fs';
import { ResourceError } from '../errors.js';

/** capabilities(7) bit numbers. */
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

export class LabUnavailableError extends ResourceError {}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(
  status: () => string = () => readFileSync('/proc/self/status', 'utf8'),
): string | undefined {
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`;
  let effective: bigint;
  try {
    effective = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/im.exec(status())?.[1] ?? '0'}`);
  } catch {
    return 'the lab cannot read its capabilities (/proc/self/status)';
  }
  const missing = (
    [
      ['CAP_NET_ADMIN', CAP_NET_ADMIN],
      ['CAP_SYS_ADMIN', CAP_SYS_ADMIN],
    ] as const
  ).filter(([, bit]) => (effective & (1n << BigInt(bit))) === 0n);
  if (process.getuid?.() !== 0 || missing.length > 0)
    return `the lab needs root with CAP_NET_ADMIN and CAP_SYS_ADMIN${
      missing.length > 0 ? ` (missing ${missing.map(([name]) => name).join(', ')})` : ''
    }`;
  return undefined;
}

/** Throws the one line that says why, and where the plan runs instead, when the lab cannot run here. */
export function requireLabPlatform(): void {
  const reason = labUnavailable();
  if (reason) throw new LabUnavailableError(`${reason}; the loopback sandbox runs the same plan and needs neither`);
}
