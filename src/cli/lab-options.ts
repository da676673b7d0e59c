/**
 * `--lab` and what goes with it, for `mxplan sandbox` and `mxplan verify` alike: which MTA and
 * which DNS server the lab runs, and where its outside stands.
 */
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { DNS_CHOICES, MTA_CHOICES, type DnsChoice, type MtaChoice } from '../lab/choices.js';

export interface LabFlags {
  lab?: boolean;
  mta?: MtaChoice;
  dns?: DnsChoice;
  outside?: string;
}

export function addLabOptions(command: Command): Command {
  return command
    .option(
      '--lab',
      'run the plan at its planned addresses, in network namespaces (Linux, as root): real MTAs, real name servers',
    )
    .addOption(
      new Option(
        '--mta <name>',
        'with --lab: what runs the mail (postfix: Postfix and Dovecot from mxplan mta)',
      ).choices(MTA_CHOICES),
    )
    .addOption(
      new Option(
        '--dns <name>',
        'with --lab: what answers DNS at the planned name servers (from mxplan zones)',
      ).choices(DNS_CHOICES),
    )
    .option('--outside <addresses>', "with --lab: the Internet's IPv4 and IPv6 address (default 203.0.113.1,3fff::1)");
}

/** The lab asked for, or undefined without --lab; a lab flag without --lab is a usage error. */
export function labChoice(
  flags: LabFlags,
): { mta: MtaChoice; dns: DnsChoice; internet?: { ipv4: string; ipv6: string } } | undefined {
  if (!flags.lab) {
    const stray = (['mta', 'dns', 'outside'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} goes with --lab`);
    return undefined;
  }
  return {
    mta: flags.mta ?? 'builtin',
    dns: flags.dns ?? 'builtin',
    ...(flags.outside !== undefined && { internet: parseOutside(flags.outside) }),
  };
}

function parseOutside(text: string): { ipv4: string; ipv6: string } {
  const parts = text.split(',').map((p) => p.trim());
  const ipv4 = parts.find((p) => isIP(p) === 4);
  const ipv6 = parts.find((p) => isIP(p) === 6);
  if (parts.length !== 2 || !ipv4 || !ipv6)
    throw new UsageError(`--outside takes one IPv4 and one IPv6 address, comma-separated, not "${text}"`);
  return { ipv4, ipv6 };
}
