/**
 * Timing profiles. `default` follows Postfix and RFC 5321 §4.5.4.1 (retry after minutes, give up
 * after the host's planned queue lifetime, days); `fast` is the same shape compressed for the
 * sandbox, where an outage lasts seconds.
 */
import type { Host } from '../topology/types.js';

export type ProfileName = 'fast' | 'default';

/**
 * Sandbox time compression: one hour of planned queue lifetime lasts one second in the `fast`
 * profile, so the RFC's 5-day default becomes 120 s.
 */
export const FAST_TIME_SCALE = 3600;

export interface Profile {
  readonly name: ProfileName;
  /** Delay before the first retry of a destination or message, ms. */
  readonly firstRetry: number;
  /** Backoff doubles up to this delay, ms. */
  readonly maxRetry: number;
  /** How long a message may stay queued before it is bounced, ms. */
  readonly queueLifetime: number;
  /** Client side (RFC 5321 §4.5.3.2 gives minutes; loopback needs far less in the sandbox), ms. */
  readonly connectTimeout: number;
  readonly greetingTimeout: number;
  readonly clientSocketTimeout: number;
  /**
   * Server side: the time a client has to send each command whole, from our previous reply, and
   * the start of its budget for the message after 354 (deadline.ts), ms: Postfix's smtpd_timeout
   * with smtpd_per_request_deadline. Not an idle timer: a client trickling bytes is cut too.
   */
  readonly commandDeadline: number;
  /** Bytes a second of message data that extend the DATA deadline (Postfix smtpd_min_data_rate). */
  readonly minDataRate: number;
  /** How long an idle outbound connection is kept for reuse (Postfix smtp_connection_cache_time_limit), ms. */
  readonly connectionReuse: number;
  /**
   * STARTTLS offered and used (RFC 3207), when the relay has a certificate. On by default; off
   * measures the SMTP path without TLS's CPU (a benchmark), and then MTA-STS is not applied either.
   */
  readonly tls: boolean;
}

export interface ProfileOverrides {
  /** Seconds; replaces the scaled host lifetime. */
  readonly queueLifetime?: number;
  /** Milliseconds. */
  readonly commandDeadline?: number;
  /** Bytes a second. */
  readonly minDataRate?: number;
  readonly firstRetry?: number;
  readonly maxRetry?: number;
  readonly tls?: boolean;
}

export function profileFor(
  name: ProfileName,
  host: Pick<Host, 'queueLifetime'>,
  overrides: ProfileOverrides = {},
): Profile {
  const base: Profile =
    name === 'fast'
      ? {
          name,
          firstRetry: 1_000,
          maxRetry: 5_000,
          queueLifetime: (host.queueLifetime * 1000) / FAST_TIME_SCALE,
          connectTimeout: 2_000,
          greetingTimeout: 2_000,
          clientSocketTimeout: 10_000,
          // Postfix's overload value of smtpd_timeout: the sandbox's clients are on loopback
          commandDeadline: 10_000,
          minDataRate: 500,
          connectionReuse: 2_000,
          tls: true,
        }
      : {
          name,
          // Postfix minimal_backoff_time 300s, maximal_backoff_time 4000s (qmgr(8))
          firstRetry: 300_000,
          maxRetry: 4_000_000,
          queueLifetime: host.queueLifetime * 1000,
          connectTimeout: 30_000,
          // RFC 5321 §4.5.3.2.1: 5 minutes for the greeting
          greetingTimeout: 300_000,
          clientSocketTimeout: 600_000,
          // Postfix smtpd_timeout 300s (RFC 5321 §4.5.3.2.7: the server waits 5 minutes), smtpd_min_data_rate 500
          commandDeadline: 300_000,
          minDataRate: 500,
          connectionReuse: 2_000,
          tls: true,
        };
  return {
    ...base,
    ...(overrides.queueLifetime !== undefined && { queueLifetime: overrides.queueLifetime * 1000 }),
    ...(overrides.commandDeadline !== undefined && { commandDeadline: overrides.commandDeadline }),
    ...(overrides.minDataRate !== undefined && { minDataRate: overrides.minDataRate }),
    ...(overrides.firstRetry !== undefined && { firstRetry: overrides.firstRetry }),
    ...(overrides.maxRetry !== undefined && { maxRetry: overrides.maxRetry }),
    ...(overrides.tls !== undefined && { tls: overrides.tls }),
  };
}

/** Exponential backoff: the delay after the `failures`-th consecutive failure (qmgr(8) doubling). */
export function backoffDelay(profile: Pick<Profile, 'firstRetry' | 'maxRetry'>, failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(profile.maxRetry, profile.firstRetry * 2 ** Math.min(failures - 1, 30));
}
