/**
 * Why a command could not run, in one line: what mxplan was doing, what the system said in
 * words ("no space left on the device", never a bare ENOSPC), and what to do about it, naming the
 * flag that changes it when the command knows one. Stacks are for internal errors only.
 */
import { explain, MxplanError, ResourceError, systemErrorOf, type SystemError } from '../errors.js';

/**
 * What a command knows about a step that may fail on the system: the flag that sets the path it
 * writes or the port it binds, and what it was doing, in words ("cannot write the report to x").
 */
export interface Context {
  readonly path?: string;
  readonly port?: string;
  readonly doing?: string;
}

const contexts = new WeakMap<object, Context>();

/**
 * Runs `work`. When it fails on an ordinary environment error, the failure carries the context,
 * so the one line main prints can say "choose another port with --dns-port". Anything else
 * passes through unchanged.
 */
export async function attempt<T>(work: Promise<T>, context: Context): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof Error) || !systemErrorOf(error)) throw error;
    const failure =
      context.doing && !(error instanceof MxplanError) ? new ResourceError(context.doing, { cause: error }) : error;
    contexts.set(failure, { ...context, ...contexts.get(error) });
    throw failure;
  }
}

const ACTIONS: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the directory',
  rmdir: 'remove the directory',
  scandir: 'read the directory',
  rename: 'rename',
  unlink: 'remove',
  stat: 'look at',
  lstat: 'look at',
  access: 'use',
  copyfile: 'copy to',
  bind: 'listen on',
  listen: 'listen on',
};

/**
 * The one line main prints for an error it knows: mxplan's own, or any the operating system
 * raised (an errno is about the environment, not a bug). Undefined for an internal error.
 */
export function describeFailure(error: unknown): string | undefined {
  const system = systemErrorOf(error);
  if (error instanceof MxplanError && !system) return error.message;
  if (!system) return undefined;
  const explanation = explain(system.code, system.syscall);
  let line = error instanceof MxplanError ? withoutBareCode(error.message, system.code) : whatFailed(system);
  if (!explanation) return error instanceof MxplanError ? line : `${line}: ${system.message}`;
  if (!line.includes(explanation.what)) line += `: ${explanation.what}`;
  const context = contextOf(error);
  const port = ['bind', 'listen', 'connect'].includes(system.syscall ?? '') || system.code.startsWith('EADDR');
  const flag = port ? context?.port : context?.path;
  const choose = (where?: string) =>
    `choose another ${port ? 'port' : 'path'}${where ? ` ${where}` : ''}${flag ? ` with ${flag}` : ''}`;
  return explanation.todo ? `${line}; ${explanation.todo(choose)}` : line;
}

function whatFailed(system: SystemError): string {
  const action = ACTIONS[system.syscall ?? ''] ?? system.syscall ?? 'use';
  return system.path ? `cannot ${action} ${system.path}` : `cannot ${action}`;
}

/** Library messages may end with the errno ("… (ENOTDIR)"); the words replace it. */
function withoutBareCode(message: string, code: string): string {
  return message.replace(new RegExp(`(?:\\s*\\(${code}\\)|:\\s*${code})$`), '');
}

function contextOf(error: unknown): Context | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const context = contexts.get(e);
    if (context) return context;
  }
  return undefined;
}
