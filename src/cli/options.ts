/**
 * Option values, parsed one way for every command. Each parser is a commander argParser: it runs
 * as the flag is read and throws a UsageError that names the flag (exit 2).
 */
import { Option } from 'commander';
import { UsageError } from '../errors.js';

/** RFC 1982: a serial is an unsigned 32-bit integer. */
export const MAX_SERIAL = 0xffffffff;

/** A whole number in [min, max], from a flag. */
export function parseInteger(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} takes a whole number ${range}, not "${text}"`);
  }
  return n;
}

/** `--flag <n>` taking a whole number in [min, max]; absent, it is `fallback` (or undefined). */
export function integerOption(
  flags: string,
  description: string,
  min: number,
  max?: number,
  fallback?: number,
): Option {
  const option = new Option(flags, description);
  option.argParser((text: string) => parseInteger(option.long!, text, min, max));
  return fallback === undefined ? option : option.default(fallback);
}

/** `--serial <n>`: the SOA serial of every zone. */
export function serialOption(description: string): Option {
  return integerOption('--serial <n>', description, 0, MAX_SERIAL);
}

/** `--flag <value>` repeatable: each use adds one value. */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** Where a server listens: a loopback address, and a port when one was given. */
export interface Listen {
  readonly address: string;
  readonly port?: number;
}

/**
 * `[address][:port]`, `[::1]:port` or a bare port, for a server on loopback (127.0.0.0/8, ::1):
 * nothing here listens anywhere else. An optional flag value (--ui) takes `true` when given bare.
 */
export function parseListen(flag: string, text: string | true): Listen {
  if (text === true || text === '') return { address: '127.0.0.1' };
  const trimmed = text.trim();
  const bare = /^\d{1,5}$/.test(trimmed);
  const m = bare
    ? undefined
    : /^(?:\[([0-9a-fA-F:]+)\]|(\d{1,3}(?:\.\d{1,3}){3})|(localhost))?(?::(\d{1,5}))?$/.exec(trimmed);
  const address = m?.[1] ?? m?.[2] ?? '127.0.0.1';
  const loopback = address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
  if (!bare && (!m || !loopback || trimmed === ''))
    throw new UsageError(
      `${flag} takes a loopback [address][:port] (127.0.0.1:8025, [::1]:8025, 8025), not "${text}"${
        /\.(ya?ml|json)$/.test(text) ? ' (put the option after the topology)' : ''
      }`,
    );
  const port = bare ? trimmed : m?.[4];
  return { address, ...(port !== undefined && { port: parseInteger(flag, port, 0, 65535) }) };
}
