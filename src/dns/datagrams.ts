/**
 * Datagrams in and out of a bound dgram socket, for a server that answers each one where it
 * came from. Two things make a UDP reply cheaper here than through dgram as it stands
 * (issue 17; the profile is in src/dns/responder/README.md):
 *
 * - Replies leave in bursts. libuv reads up to 32 datagrams each time the socket is readable
 *   and hands them to JavaScript one by one; the replies to them are queued and sent together
 *   once the burst has been read (setImmediate runs after the poll phase). On loopback a send
 *   wakes the client's thread; a client woken by the first reply of a burst reads the others
 *   without being woken again, so each send costs less, for both sides. NSD gets the same from
 *   sendmmsg. A reply waits at most for the rest of its burst.
 * - Where the socket's handle has the shape Node 20 gives it, the handle is called directly:
 *   its `onmessage` callback is ours, and a send reuses one request object for as long as the
 *   kernel takes each datagram at once (uv_udp_try_send), as it does unless the socket buffer
 *   is full. This skips what dgram does per datagram that such a server does not need: the
 *   'message' event; send()'s copy of the buffer list, its validation, the closure for the
 *   address lookup, the async-id scope and a new SendWrap. A send the kernel queues keeps its
 *   request and buffers, and the next one gets a new request. Anywhere else (another Node,
 *   another handle) the public API does the same job; `fast` says which one runs.
 */
import type dgram from 'node:dgram';
import { getSystemErrorName } from 'node:util';

/** Called with each datagram; `msg` is the caller's to keep or patch. */
export type DatagramListener = (msg: Buffer, address: string, port: number) => void;

export interface Datagrams {
  /**
   * Queues parts[0..count) as one datagram to a literal address; it leaves with the others of
   * this burst. The caller may reuse `parts` at once, but must not change the bytes of a part.
   */
  send(parts: readonly Buffer[], count: number, port: number, address: string): void;
  /** Sends what is queued now (before the socket closes). */
  flush(): void;
  /** Whether the socket's handle is called directly (Node 20's dgram internals were found). */
  readonly fast: boolean;
}

/** Replies queued before a burst is sent without waiting for its end: bounds memory and delay. */
const MAX_QUEUED = 64;
/** A reply has at most this many parts (server.ts: header and question, tail, OPT). */
const MAX_PARTS = 3;

/** The part of Node 20's UDP handle (src/udp_wrap.cc) this module calls. */
interface UdpHandle {
  onmessage: (nread: number, handle: unknown, buf: Buffer, rinfo: { address: string; port: number }) => void;
  send(req: object, list: readonly Buffer[], count: number, port: number, address: string, callback: boolean): number;
}

type SendWrapClass = new () => { list?: readonly Buffer[] };

/** Sends one datagram now; parts may be reused once it returns. */
type Transmit = (parts: Buffer[], count: number, port: number, address: string) => void;

/**
 * Takes over reading and writing a bound socket. Errors (a failed read, a send the kernel
 * refused) lose one datagram, as UDP may, and go to `onError`.
 */
export function takeDatagrams(
  socket: dgram.Socket,
  listener: DatagramListener,
  onError: (error: Error) => void,
  options: { readonly publicApi?: boolean } = {},
): Datagrams {
  // Without a callback, dgram reports no send error; what it does emit (a failed read) goes here.
  socket.on('error', onError);
  const internals = options.publicApi ? undefined : udpInternals(socket);
  let transmit: Transmit;
  if (internals) {
    const { handle, SendWrap } = internals;
    handle.onmessage = (nread, _handle, buf, rinfo) => {
      if (nread < 0) onError(systemError(nread, 'recvmsg'));
      else listener(buf, rinfo.address, rinfo.port);
    };
    let req = new SendWrap();
    transmit = (parts, count, port, address) => {
      const result = handle.send(req, parts, count, port, address, false);
      // udp_wrap: above 0, sent at once (the length + 1); 0, queued by libuv; below 0, an errno.
      if (result > 0) return;
      if (result === 0) {
        // The queued send holds this request, which keeps its buffers alive until it is done.
        req.list = parts.slice(0, count);
        req = new SendWrap();
        return;
      }
      onError(systemError(result, 'send'));
    };
  } else {
    socket.on('message', (msg, rinfo) => listener(msg, rinfo.address, rinfo.port));
    transmit = (parts, count, port, address) => {
      try {
        // dgram copies the list (fixBufferList), so the slot may be reused.
        socket.send(parts.slice(0, count), port, address);
      } catch (error) {
        // It throws for what it will not send (port 0, a socket closed meanwhile).
        onError(error as Error);
      }
    };
  }

  const none = Buffer.alloc(0);
  const slots: Buffer[][] = [];
  const counts: number[] = [];
  const ports: number[] = [];
  const addresses: string[] = [];
  let queued = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    for (let i = 0; i < queued; i++) {
      const slot = slots[i]!;
      transmit(slot, counts[i]!, ports[i]!, addresses[i]!);
      // Hold no query's buffer past its reply.
      slot[0] = none;
    }
    queued = 0;
  };
  return {
    send(parts, count, port, address) {
      if (count > MAX_PARTS) throw new Error(`dns/datagrams: a datagram of ${count} parts`);
      let slot = slots[queued];
      if (!slot) slots[queued] = slot = [none, none, none];
      for (let k = 0; k < count; k++) slot[k] = parts[k]!;
      counts[queued] = count;
      ports[queued] = port;
      addresses[queued] = address;
      if (++queued >= MAX_QUEUED) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    fast: internals !== undefined,
  };
}

/** The socket's UDP handle and the SendWrap class, when this Node has them where Node 20 does. */
function udpInternals(socket: dgram.Socket): { handle: UdpHandle; SendWrap: SendWrapClass } | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state && (socket as unknown as Record<symbol, { handle?: unknown } | undefined>)[state]?.handle;
  if (!isUdpHandle(handle)) return undefined;
  let SendWrap: unknown;
  try {
    // DEP0111 is documentation-only; udp_wrap is on process.binding's allow-list in Node 20.
    const binding = (process as unknown as { binding(name: string): unknown }).binding('udp_wrap');
    SendWrap = (binding as { SendWrap?: unknown }).SendWrap;
  } catch {
    return undefined;
  }
  return typeof SendWrap === 'function' ? { handle, SendWrap: SendWrap as SendWrapClass } : undefined;
}

function isUdpHandle(handle: unknown): handle is UdpHandle {
  if (typeof handle !== 'object' || handle === null) return false;
  const h = handle as Partial<UdpHandle>;
  return typeof h.send === 'function' && typeof h.onmessage === 'function';
}

function systemError(errno: number, syscall: string): Error {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code}`), { errno, code, syscall });
}
