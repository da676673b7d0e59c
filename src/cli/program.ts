/**
 * The commander program. Each command lives in commands/<name>.ts, registers itself, and lazily
 * imports its implementation so `mxplan --help` stays fast. What commands share (colour, the
 * version, option parsers) lives in the leaf modules io.ts and options.ts, never here.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import * as diff from './commands/diff.js';
import * as dns from './commands/dns.js';
import * as drift from './commands/drift.js';
import * as graph from './commands/graph.js';
import * as importZones from './commands/import.js';
import * as keys from './commands/keys.js';
import * as lint from './commands/lint.js';
import * as mta from './commands/mta.js';
import * as mtaSts from './commands/mta-sts.js';
import * as records from './commands/records.js';
import * as rules from './commands/rules.js';
import * as sandbox from './commands/sandbox.js';
import * as verify from './commands/verify.js';
import * as zones from './commands/zones.js';

const commands: readonly { register(program: Command): void }[] = [
  lint,
  rules,
  zones,
  mtaSts,
  records,
  mta,
  keys,
  graph,
  dns,
  sandbox,
  verify,
  diff,
  drift,
  importZones,
];

const EXIT_CODES = `
Exit codes:
  0  success: no error-level findings, every scenario passed
  1  the plan has problems: error-level findings (or warnings past --max-warnings), failed scenarios
  2  cannot run: bad usage, unreadable file or unwritable output, port in use, internal error
A closed output (| head) ends mxplan quietly by SIGPIPE, as it ends any filter (141 in the shell).
A topology argument of - reads the topology from standard input.`;

export function buildProgram(): Command {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const program = new Command('mxplan')
    .description(
      'Plan mail service across many domains and mail servers: lint, generate zones, and prove the plan on loopback.',
    )
    .version(version)
    .option('--no-color', 'disable colour (also NO_COLOR=1)')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', EXIT_CODES);
  for (const command of commands) command.register(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}
