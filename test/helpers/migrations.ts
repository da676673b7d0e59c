/**
 * Changes of the building example that the migration tests share, as edits of its topology text:
 * a user who moves, a backup MX replaced, a store retired.
 */

/** bob moves from mail2 to mail1. */
export const moveBob = (t: string): string =>
  t.replace('bob: { host: mail2, quota: 5GiB }', 'bob: { host: mail1, quota: 5GiB }');

/** A new backup MX (backup2, mx2.tower.example) replaces the old one in every MX set. */
export const replaceBackup = (t: string): string =>
  t
    .replace(
      '  backup:\n    fqdn: mx-backup.tower.example\n    ipv4: [198.51.100.25]',
      '  backup2:\n    fqdn: mx2.tower.example\n    ipv4: [198.51.100.26]',
    )
    .replaceAll('{ host: backup, preference: 50 }', '{ host: backup2, preference: 50 }');

/** mail2 is retired: its users move to mail1, which takes its place in every MX set. */
export const retireMail2 = (t: string): string =>
  t
    .replace(/ {2}mail2:\n( {4}.*\n)+/, '')
    .replace(
      '      - { host: mail2, preference: 10 }\n      - { host: mail1, preference: 20 }',
      '      - { host: mail1, preference: 10 }',
    )
    .replaceAll('{ host: mail2, preference: 10 }', '{ host: mail1, preference: 10 }')
    .replace(/(\w+): mail2\b/g, '$1: mail1')
    .replaceAll('host: mail2', 'host: mail1');
