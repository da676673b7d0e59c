/**
 * The SMTP load generator bench/smtp.mjs falls back to when Postfix's smtp-source is not
 * installed. It does what `smtp-source -d -s S -m M -l L` does, as fast: S sessions at once over
 * reused connections, M messages in all, each with a payload of L bytes, one recipient each.
 *
 * It measures what smtp-source measures (nodemailer's pool, the old fallback, measured a bare
 * smtp-server 35 times slower):
 * - the same conversation: one command, one reply, as smtp-source has no pipelining (its man
 *   page, BUGS), so four round trips per message; pipelining MAIL, RCPT and DATA measured the
 *   bare server a third faster than smtp-source does, which is a different benchmark;
 * - Nagle off: with it on, a write that follows an unacknowledged one waits for the server's
 *   delayed ACK (40 ms on Linux); the message and its final dot go in one write;
 * - each session a small state machine over the raw bytes: a reply is only counted and its code
 *   checked, with no string, promise or buffer made per message, so the generator's own CPU
 *   stays near smtp-source's on a machine it shares with the server;
 * - the clock starts at "go" on stdin, once the process is up and connected (`--wait`): Node's
 *   start is not charged to the server under test.
 *
 * Checked once against smtp-source with `node bench/smtp.mjs --load both --rounds 20` (the bare
 * smtp-server, 4000 messages of 2048 bytes, 10 sessions, the generators alternating) on the
 * project's 2-core machine while other work ran on it (load average 12): medians 5,870 messages/s
 * with smtp-source, 5,620 with this (0.957); the server's CPU per message 0.077 and 0.081 ms
 * (1.046), i.e. the same conversation. Earlier runs on the same busy machine spread up to 10%
 * either way: re-run it on a quiet machine before trusting a ratio to a few percent.
 *
 *   node bench/smtp-load.mjs --port P [--host 127.0.0.1] [--sessions 10] [--messages 4000] [--size 2048]
 *                            [--from carol@globex.example] [--to bob@acme.example] [--wait]
 *
 * Exits 0 when every message got its 250, else 1 with the first unexpected reply on stderr.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Connects `sessions` sessions and greets; resolves with `go()`, which sends `messages`
 * messages over them and resolves once every one got its 250.
 */
export async function smtpLoad({
  port,
  host = '127.0.0.1',
  sessions = 10,
  messages = 4000,
  size = 2048,
  from = 'carol@globex.example',
  to = 'bob@acme.example',
  helo = 'bench.example.test',
}) {
  const body = `${'x'.repeat(76)}\r\n`.repeat(Math.max(1, Math.ceil(size / 78)));
  // One write per step, each answered before the next (no pipelining, as smtp-source).
  const steps = [
    Buffer.from(`MAIL FROM:<${from}>\r\n`),
    Buffer.from(`RCPT TO:<${to}>\r\n`),
    Buffer.from('DATA\r\n'),
    Buffer.from(`From: <${from}>\r\nTo: <${to}>\r\nSubject: bench\r\n\r\n${body}.\r\n`),
  ];
  let next = 0;
  const open = await Promise.all(Array.from({ length: sessions }, () => session(host, port, helo)));
  return {
    go: () =>
      Promise.all(
        open.map(
          (s) =>
            new Promise((resolve, reject) => {
              // Per message: 250 (MAIL), 250 (RCPT), 354 (DATA), then 250 for the message.
              const expected = [0x32, 0x32, 0x33, 0x32];
              let step = 0;
              const send = () => {
                if (next >= messages) {
                  s.socket.end('QUIT\r\n');
                  return resolve();
                }
                next++;
                step = 0;
                s.socket.write(steps[0]);
              };
              s.onReply = (first) => {
                if (first !== expected[step]) return reject(new Error(`unexpected reply: ${s.last()}`));
                if (++step === 4) send();
                else s.socket.write(steps[step]);
              };
              s.onClose = () => reject(new Error('connection closed'));
              send();
            }),
        ),
      ),
  };
}

/** A greeted session: `onReply(first byte of the code)` is called once per whole reply. */
function session(host, port, helo) {
  return new Promise((resolve, reject) => {
    // onread: the bytes land in one buffer per session, without a Buffer or a 'data' event per read
    const buffer = Buffer.alloc(16 * 1024);
    const socket = connect({ host, port, noDelay: true, onread: { buffer, callback: (n) => read(buffer, n) } });
    let lineStart = true;
    let column = 0;
    let first = 0;
    let tail = Buffer.alloc(0);
    const s = {
      socket,
      onReply: undefined,
      onClose: () => {},
      /** The last bytes received, for an error message. */
      last: () => Buffer.from(tail).toString('latin1').trim(),
    };
    // A reply's last line has a space (or the line end) after its code; "ddd-" continues it.
    const read = (chunk, length) => {
      tail = chunk.subarray(Math.max(0, length - 200), length);
      for (let i = 0; i < length; i++) {
        const byte = chunk[i];
        if (lineStart) {
          first = byte;
          lineStart = false;
          column = 0;
        }
        column++;
        if (column === 4 && byte === 0x2d) first = -1; // a continuation line
        if (byte === 0x0a) {
          lineStart = true;
          if (first !== -1) s.onReply?.(first);
        }
      }
    };
    socket.on('error', (error) => (s.onReply ? s.onClose(error) : reject(error)));
    socket.on('close', () => s.onClose());
    let step = 0;
    s.onReply = (code) => {
      // 220 greeting, then 250 to EHLO
      if (code !== 0x32) return reject(new Error(`unexpected reply: ${s.last()}`));
      if (step++ === 0) socket.write(`EHLO ${helo}\r\n`);
      else {
        s.onReply = undefined;
        resolve(s);
      }
    };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) =>
    process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback;
  try {
    const load = await smtpLoad({
      port: Number(arg('port')),
      host: arg('host', '127.0.0.1'),
      sessions: Number(arg('sessions', 10)),
      messages: Number(arg('messages', 4000)),
      size: Number(arg('size', 2048)),
      from: arg('from', 'carol@globex.example'),
      to: arg('to', 'bob@acme.example'),
    });
    if (process.argv.includes('--wait')) {
      console.log('ready');
      const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
      await lines.next();
    }
    await load.go();
    process.exit(0);
  } catch (error) {
    console.error(`smtp-load: ${error.message}`);
    process.exit(1);
  }
}
