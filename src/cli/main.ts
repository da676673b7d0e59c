/**
 * The CLI entry: the only place that turns errors into exit codes (documented in errors.ts).
 * Commands set `process.exitCode`-style results by returning a number.
 */
import { CommanderError } from 'commander';
import { EXIT_CANNOT_RUN, MxplanError } from '../errors.js';
import { buildProgram } from './program.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return (program.getOptionValue('exitCode') as number | undefined) ?? (process.exitCode as number | undefined) ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : EXIT_CANNOT_RUN;
    }
    if (error instanceof MxplanError) {
      process.stderr.write(`mxplan: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`mxplan: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_CANNOT_RUN;
  }
}
