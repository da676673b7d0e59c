/**
 * What every command needs from the terminal: colour, the version, and what a closed output
 * means. A leaf: it imports no command and nothing of program.ts.
 */
import { constants } from 'node:os';
import type { Command } from 'commander';
import { EXIT_CANNOT_RUN, explain, systemErrorOf } from '../errors.js';

export function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/** Colour is on for a terminal unless NO_COLOR is set or --no-color given. */
export function useColor(command: Command, stream: NodeJS.WriteStream = process.stdout): boolean {
  return rootOf(command).opts().color !== false && !process.env.NO_COLOR && stream.isTTY === true;
}

export function versionOf(command: Command): string {
  return rootOf(command).version() ?? '';
}

let whenOutputCloses: 'end' | 'carry on' = 'end';

/**
 * A closed stdout or stderr (`mxplan rules | head -1`) ends mxplan the way it ends any Unix
 * filter: quietly, by SIGPIPE (status 141 in the shell). The reader has gone; that is neither
 * "the plan has problems" (1) nor a failure to report (2). Node ignores SIGPIPE and turns it into
 * EPIPE write errors, so this puts the convention back. Installed once, by main.
 */
export function watchOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', outputFailed);
}

/** A server (sandbox) keeps serving when its output closes; what it would have printed is dropped. */
export function carryOnWhenOutputCloses(): void {
  whenOutputCloses = 'carry on';
}

let failing = false;

function outputFailed(error: Error): void {
  const code = systemErrorOf(error)?.code;
  if (code === 'EPIPE') {
    if (whenOutputCloses === 'carry on') return;
    // With no listener left, SIGPIPE has its default action again: the process ends by it.
    const none = () => {};
    process.on('SIGPIPE', none).off('SIGPIPE', none);
    process.kill(process.pid, 'SIGPIPE');
    process.exit(128 + constants.signals.SIGPIPE);
  }
  // Output that cannot be written (a full disk under `> file`) is a failure to run, said once.
  if (failing) return;
  failing = true;
  const what = code ? (explain(code)?.what ?? code) : error.message;
  process.stderr.write(`mxplan: cannot write the output: ${what}\n`, () => process.exit(EXIT_CANNOT_RUN));
}
