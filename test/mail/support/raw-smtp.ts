/**
 * A raw SMTP conversation over a socket, for what no well-behaved client will send: bare line
 * feeds, smuggling probes, too many recipients, silence.
 */
import net from 'node:net';

export class RawSmtp {
  private buffer = '';
  private readonly replies: string[] = [];
  private waiting: ((reply: string) => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      // a reply ends with a line "ddd text" (a "ddd-" line continues it)
      for (
        let m = /^((?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n)/.exec(this.buffer);
        m;
        m = /^((?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n)/.exec(this.buffer)
      ) {
        this.buffer = this.buffer.slice(m[1]!.length);
        this.push(m[1]!.trimEnd());
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
  }

  /** `from`: the loopback address to connect from (Linux routes all of 127.0.0.0/8). */
  static async connect(port: number, from?: string): Promise<{ smtp: RawSmtp; greeting: string }> {
    const socket = net.connect({ port, host: '127.0.0.1', ...(from && { localAddress: from }) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const smtp = new RawSmtp(socket);
    return { smtp, greeting: await smtp.reply() };
  }

  /** Sends a command line and returns its reply. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Writes bytes as they are (no CRLF added). */
  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  reply(): Promise<string> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  private push(reply: string): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(reply);
    else this.replies.push(reply);
  }
}
