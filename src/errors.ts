/**
 * Typed errors. Only the CLI entry turns them into exit codes:
 *   0  clean / success
 *   1  findings at error level, failed scenarios (the input is wrong, the tool worked)
 *   2  cannot run: usage error, unreadable file, port in use, internal error
 */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_CANNOT_RUN = 2;

export class MxplanError extends Error {
  readonly exitCode: number = EXIT_CANNOT_RUN;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage: an unknown flag value, a missing argument. */
export class UsageError extends MxplanError {}

/** A file or resource the command needs cannot be read or used (missing file, port taken). */
export class ResourceError extends MxplanError {}
