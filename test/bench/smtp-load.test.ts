/**
 * The SMTP benchmark's load generator (issue 10): without Postfix's smtp-source, bench/smtp.mjs
 * fell back to a nodemailer pool with Nagle on, which measured the bare smtp-server at 195
 * messages/s where smtp-source measured 6,749, so every ratio it printed was meaningless. Its
 * fallback, bench/smtp-load.mjs, must hold smtp-source's conversation with the same server, and
 * the benchmark must say which generator it used (and prints the rates, in the same run).
 */
import { execFile, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const hasSmtpSource = requireTool('smtp-source');
const MESSAGES = 2000;
const SESSIONS = 10;
const SIZE = 2048;

/** What the bare server saw of one run. */
interface Run {
  readonly mails: number;
  readonly recipients: number;
  readonly messages: number;
}

/** A bare smtp-server that discards, as bench/smtp.mjs's `discard`; `send` drives it to its port. */
async function discard(send: (port: number) => Promise<() => Promise<unknown>>): Promise<Run> {
  let mails = 0;
  let recipients = 0;
  let messages = 0;
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onMailFrom: (_address, _session, callback) => (mails++, callback()),
    onRcptTo: (_address, _session, callback) => (recipients++, callback()),
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => (messages++, callback(null)));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const go = await send((server.server.address() as AddressInfo).port);
    await go();
    return { mails, recipients, messages };
  } finally {
    await new Promise<void>((resolve) => server.close(resolve));
  }
}

/** smtp-source as bench/smtp.mjs runs it: reused connections, one recipient per message. */
const smtpSource = (port: number) => async () => () =>
  run('smtp-source', [
    ...['-d', '-s', String(SESSIONS), '-m', String(MESSAGES), '-l', String(SIZE), '-M', 'bench.example.test'],
    ...['-f', 'carol@globex.example', '-t', 'bob@acme.example', `127.0.0.1:${port}`],
  ]);

/** bench/smtp-load.mjs in a child process, connected before the clock starts, as bench/smtp.mjs runs it. */
const smtpLoad = (port: number) => async () => {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bench', 'smtp-load.mjs'),
      ...['--port', String(port), '--messages', String(MESSAGES), '--sessions', String(SESSIONS)],
      ...['--size', String(SIZE), '--wait'],
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`smtp-load exited with ${code}`)))),
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  return () => (child.stdin.end('go\n'), exited);
};

describe.runIf(hasSmtpSource)('bench/smtp-load.mjs, the fallback load generator', () => {
  // How fast each generator drives the server is the benchmark's to measure (`node
  // bench/smtp.mjs --load node` prints it beside smtp-source's), never a test's: here, that both
  // hold the same conversation, so the server does the same work per message for either.
  it(
    'holds smtp-source’s conversation: one transaction, one recipient, one message each',
    { timeout: 120_000 },
    async () => {
      for (const generator of [smtpSource, smtpLoad]) {
        const result = await discard((port) => generator(port)());
        expect(result).toMatchObject({ mails: MESSAGES, recipients: MESSAGES, messages: MESSAGES });
      }
    },
  );
});

describe('bench/smtp.mjs', () => {
  it.each([
    ['--load node', ['--load', 'node'], /^load generator: bench\/smtp-load\.mjs, 10 sessions like smtp-source's/m],
    ...(hasSmtpSource
      ? [
          [
            'smtp-source when installed',
            [],
            /^load generator: smtp-source \(\S+smtp-source\) -d -s 10 -m 200 -l 2048$/m,
          ],
        ]
      : []),
  ] as [string, string[], RegExp][])(
    'says which load generator it used: %s',
    { timeout: 120_000 },
    async (_, load, says) => {
      const args = ['--kinds', 'discard', '--rounds', '1', '--messages', '200', ...load];
      const { stdout } = await run(process.execPath, [join(ROOT, 'bench', 'smtp.mjs'), ...args], { cwd: ROOT });
      expect(stdout).toMatch(says);
      expect(stdout).toMatch(/^bare smtp-server, discard +\d+/m);
    },
  );
});
