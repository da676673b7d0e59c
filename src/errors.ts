/**
 * Typed errors. Only the CLI entry (cli/main.ts) turns them into exit codes:
 *   0  clean / success
 *   1  the plan has problems: error-level findings, failed scenarios (the input is wrong, the tool worked)
 *   2  cannot run: usage error, unreadable file, port in use, internal error
 *
 * Library code says what happened in its own terms and never names a command-line flag: the
 * command that called it knows which of its flags changes the outcome, and says so (cli/failure.ts).
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

/** Bad command-line usage: an unknown flag value, a missing argument. Thrown by the CLI only. */
export class UsageError extends MxplanError {}

/** A file or resource the command needs cannot be read or used (missing file, port taken). */
export class ResourceError extends MxplanError {}

/** A name handed to a library call is not one the plan has (a host id). */
export class UnknownNameError extends MxplanError {}

/**
 * The command did its work and the plan has problems (exit 1): its findings or its report are
 * already out. The message, when there is one, says why that fails the run ("too many warnings").
 */
export class ProblemsError extends MxplanError {
  override readonly exitCode: number = EXIT_FINDINGS;
  constructor(message = '') {
    super(message);
  }
}

/**
 * The command failed and has already said why (a node:cluster worker whose primary reports the
 * failure once): main prints nothing more and exits with `exitCode`.
 */
export class AlreadyReported extends MxplanError {
  override readonly exitCode: number;
  constructor(exitCode: number) {
    super('');
    this.exitCode = exitCode;
  }
}

/** An operating-system error (errno) as Node reports it: `code` "ENOENT", `syscall` "open", `path`. */
export interface SystemError extends Error {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
}

/** The errno behind an error, itself or along its chain of causes. */
export function systemErrorOf(error: unknown): SystemError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const { code } = e as Partial<SystemError>;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return e as SystemError;
  }
  return undefined;
}

/**
 * What an ordinary environment error means, and what to do about it. `choose` words the way out:
 * "choose another path", with the flag the caller knows ("choose another path with --out").
 */
export interface Explanation {
  readonly what: string;
  readonly todo?: (choose: (where?: string) => string) => string;
}

const EXPLANATIONS: Readonly<Record<string, Explanation>> = {
  ENOENT: { what: 'no such file or directory' },
  EACCES: { what: 'permission denied', todo: (choose) => `${choose()}, or change its permissions` },
  EPERM: { what: 'operation not permitted', todo: (choose) => `${choose()}, or change its permissions` },
  EROFS: { what: 'the file system is read-only', todo: (choose) => choose('on a writable file system') },
  ENOSPC: {
    what: 'no space left on the device',
    todo: (choose) => `free some space, or ${choose('on another file system')}`,
  },
  EDQUOT: { what: 'disk quota exceeded', todo: (choose) => `free some space, or ${choose('on another file system')}` },
  ENOTDIR: { what: 'a part of the path is a file, not a directory', todo: (choose) => choose() },
  EISDIR: { what: 'it is a directory, not a file', todo: (choose) => choose() },
  EEXIST: { what: 'it exists already', todo: (choose) => `remove it, or ${choose()}` },
  ENOTEMPTY: { what: 'the directory is not empty', todo: (choose) => `empty it, or ${choose()}` },
  ENAMETOOLONG: { what: 'the name is too long', todo: (choose) => choose() },
  ELOOP: { what: 'too many levels of symbolic links', todo: (choose) => choose() },
  EMFILE: { what: 'too many open files', todo: () => 'raise the limit on open files (ulimit -n)' },
  ENFILE: { what: 'too many open files on the system', todo: () => 'close some programs, or raise the limit' },
  EIO: { what: 'input/output error', todo: (choose) => `check the device, or ${choose()}` },
  EADDRINUSE: { what: 'the port is already in use', todo: (choose) => choose() },
  EADDRNOTAVAIL: { what: 'the address is not on this machine', todo: (choose) => choose() },
};

/** `syscall` refines the words: mkdir's EEXIST means a file stands where the directory should be. */
export function explain(code: string, syscall?: string): Explanation | undefined {
  if (code === 'EEXIST' && syscall === 'mkdir') return { ...EXPLANATIONS.EEXIST!, what: 'a file is in the way' };
  return EXPLANATIONS[code];
}
