/**
 * The CLI entry: the one top-level catch, and the only place that turns errors into exit codes
 * (documented in errors.ts). A command that returns has succeeded (0); it fails by throwing a
 * typed error: ProblemsError (1), UsageError or ResourceError (2). An ordinary environment error
 * (a full disk, a read-only directory) is one line that says what to do (failure.ts); only an
 * internal error shows a stack.
 */
import { CommanderError } from 'commander';
import { AlreadyReported, EXIT_CANNOT_RUN, EXIT_OK, ProblemsError } from '../errors.js';
import { describeFailure } from './failure.js';
import { watchOutput } from './io.js';
import { buildProgram } from './program.js';

export async function main(argv: readonly string[]): Promise<number> {
  watchOutput();
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? EXIT_OK : EXIT_CANNOT_RUN;
    }
    if (error instanceof AlreadyReported) return error.exitCode;
    if (error instanceof ProblemsError) {
      // The findings or the report have said what is wrong; the message, if any, why that fails.
      if (error.message) process.stderr.write(`mxplan: ${error.message}\n`);
      return error.exitCode;
    }
    const line = describeFailure(error);
    if (line !== undefined) {
      process.stderr.write(`mxplan: ${line}\n`);
      return (error as { exitCode?: number }).exitCode ?? EXIT_CANNOT_RUN;
    }
    process.stderr.write(`mxplan: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_CANNOT_RUN;
  }
}
