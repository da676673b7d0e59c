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
