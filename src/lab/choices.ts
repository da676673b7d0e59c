/** What the lab can run, by name: importable by the CLI without loading the lab. */
export const MTA_CHOICES = ['builtin', 'postfix'] as const;
export type MtaChoice = (typeof MTA_CHOICES)[number];

export const DNS_CHOICES = ['builtin', 'bind', 'nsd', 'knot'] as const;
export type DnsChoice = (typeof DNS_CHOICES)[number];
