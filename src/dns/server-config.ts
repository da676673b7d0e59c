/**
 * Zone stanzas for real authoritative servers, pointing at the generated files: a file to
 * include from the server's own configuration, which keeps its options, keys and logging.
 *
 * - BIND 9.16+ (`named.conf`): `zone "<origin>" { type primary; file "<path>"; };`
 * - NSD 4 (`nsd.conf`): `zone:` clauses with `name:` and `zonefile:`
 * - Knot DNS 3 (`knot.conf`): one `zone:` section listing `- domain:` items with `file:`
 */
import { posix } from 'node:path';
import type { Zone } from './records.js';
import { GENERATED_MARK } from './zone-file.js';

export const SERVERS = ['bind', 'nsd', 'knot'] as const;
export type Server = (typeof SERVERS)[number];

export interface ServerConfigOptions {
  /** The directory the server reads the zone files from (absolute, as the server sees it). */
  readonly zoneDirectory: string;
}

export interface ServerConfig {
  readonly server: Server;
  readonly fileName: string;
  readonly text: string;
}

const FILE_NAMES: Record<Server, string> = { bind: 'named.conf', nsd: 'nsd.conf', knot: 'knot.conf' };

export function serverConfig(
  server: Server,
  zones: readonly Pick<Zone, 'origin'>[],
  files: (origin: string) => string,
  options: ServerConfigOptions,
): ServerConfig {
  const fileName = FILE_NAMES[server];
  const include = posix.join(options.zoneDirectory, fileName);
  const count = `${zones.length} zone${zones.length === 1 ? '' : 's'}`;
  const path = (origin: string) => quoted(posix.join(options.zoneDirectory, files(origin)));
  let lines: string[];
  switch (server) {
    case 'bind':
      lines = [
        `// ${GENERATED_MARK}: ${count}.`,
        `// In named.conf: include ${quoted(include)};`,
        ...zones.flatMap((z) => [
          '',
          `zone ${quoted(z.origin)} {`,
          '\ttype primary;',
          `\tfile ${path(z.origin)};`,
          '};',
        ]),
      ];
      break;
    case 'nsd':
      lines = [
        `# ${GENERATED_MARK}: ${count}.`,
        `# In nsd.conf: include: ${quoted(include)}`,
        ...zones.flatMap((z) => ['', 'zone:', `\tname: ${quoted(z.origin)}`, `\tzonefile: ${path(z.origin)}`]),
      ];
      break;
    case 'knot':
      lines = [
        `# ${GENERATED_MARK}: ${count}.`,
        `# In knot.conf: include: ${quoted(include)}`,
        '',
        'zone:',
        ...zones.flatMap((z) => [`  - domain: ${quoted(z.origin)}`, `    file: ${path(z.origin)}`]),
      ];
      break;
  }
  return { server, fileName, text: `${lines.join('\n')}\n` };
}

/** A double-quoted string, as all three grammars accept it (paths may hold spaces). */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
