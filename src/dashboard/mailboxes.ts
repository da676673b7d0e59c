/**
 * The mailboxes of a host, read from the Maildirs the engine contract names (maildirRoot, laid
 * out as state-layout.ts says), as any Maildir reader would: new/ and cur/, one file a message.
 *
 * Envelope first: the Return-Path and Delivered-To the final delivery wrote (RFC 5321 §4.4) are
 * the envelope sender and the mailbox, which headers alone cannot tell (Bcc, aliases). The
 * Received trail is the hops, newest first (§4.4).
 *
 * Only planned users' mailboxes are read, and only files named as Maildir names them, so no
 * request reaches outside the host's Maildir root.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mailboxAddress, mailboxDir } from '../state-layout.js';
import { splitAddress } from '../topology/names.js';
import type { Plan } from '../topology/types.js';

export interface MailboxSummary {
  readonly address: string;
  readonly messages: number;
}

export interface MessageSummary {
  /** The Maildir file name (its unique name, RFC-less but universal: cr.yp.to/proto/maildir.html). */
  readonly id: string;
  readonly folder: 'new' | 'cur';
  readonly size: number;
  readonly returnPath: string | undefined;
  readonly deliveredTo: string | undefined;
  readonly subject: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly date: string | undefined;
  readonly messageId: string | undefined;
  /** Received headers: how many hops it took. */
  readonly hops: number;
}

export interface Received {
  readonly from?: string;
  readonly by?: string;
  readonly id?: string;
  readonly for?: string;
  readonly date?: string;
  readonly text: string;
}

export interface MessageDetail extends MessageSummary {
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** Newest first, as in the message. */
  readonly received: readonly Received[];
  readonly body: string;
  readonly raw: string;
  /** True when raw and body were cut at MAX_SHOWN bytes. */
  readonly truncated: boolean;
}

/** Header bytes read for a listing. */
const HEAD_BYTES = 64 * 1024;
/** Bytes of a message shown whole. */
const MAX_SHOWN = 2 * 1024 * 1024;
/** A Maildir file name: no separator, no dot-dot (maildir.ts writes "<seconds>.<key>.<host>", readers add ":2,FLAGS"). */
const MAILDIR_NAME = /^[A-Za-z0-9][A-Za-z0-9._,:=+-]{0,254}$/;

export class MailboxReader {
  constructor(
    private readonly plan: Plan,
    private readonly rootOf: (hostId: string) => string,
  ) {}

  /** The mailboxes on the host's disk, each planned user's, by address. */
  async mailboxes(hostId: string): Promise<MailboxSummary[]> {
    const root = this.rootOf(hostId);
    const found: MailboxSummary[] = [];
    for (const domain of (await names(root)).sort()) {
      for (const dir of (await names(join(root, domain))).sort()) {
        const address = mailboxAddress(domain, dir);
        if (!this.isPlannedUser(address)) continue;
        const files = await this.files(hostId, address);
        found.push({ address, messages: files.length });
      }
    }
    return found;
  }

  /** The messages of one mailbox, newest first. */
  async messages(hostId: string, address: string): Promise<MessageSummary[] | undefined> {
    if (!this.isPlannedUser(address)) return undefined;
    const summaries = await Promise.all(
      (await this.files(hostId, address)).map(async ({ folder, name, path }) => {
        const { size } = await stat(path);
        return summarise(name, folder, size, await readHead(path));
      }),
    );
    return summaries.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  async message(hostId: string, address: string, id: string): Promise<MessageDetail | undefined> {
    const file = await this.find(hostId, address, id);
    if (!file) return undefined;
    const { size } = await stat(file.path);
    const bytes = await readFile(file.path);
    const shown = bytes.subarray(0, MAX_SHOWN).toString('latin1');
    const { fields, bodyStart } = parseHeader(shown);
    return {
      ...summarise(id, file.folder, size, shown),
      headers: fields,
      received: fields.filter((f) => f.name.toLowerCase() === 'received').map((f) => parseReceived(f.value)),
      body: shown.slice(bodyStart),
      raw: shown,
      truncated: bytes.length > MAX_SHOWN,
    };
  }

  /** The raw file, for a download. */
  async raw(hostId: string, address: string, id: string): Promise<Buffer | undefined> {
    const file = await this.find(hostId, address, id);
    return file && readFile(file.path);
  }

  private isPlannedUser(address: string): boolean {
    const parts = splitAddress(address);
    return parts !== undefined && this.plan.domains.get(parts.domain)?.users.has(parts.local) === true;
  }

  private async find(hostId: string, address: string, id: string) {
    if (!MAILDIR_NAME.test(id) || !this.isPlannedUser(address)) return undefined;
    return (await this.files(hostId, address)).find((f) => f.name === id);
  }

  private async files(hostId: string, address: string) {
    const dir = mailboxDir(this.rootOf(hostId), address);
    const found: { folder: 'new' | 'cur'; name: string; path: string }[] = [];
    for (const folder of ['new', 'cur'] as const)
      for (const name of await names(join(dir, folder)))
        if (MAILDIR_NAME.test(name)) found.push({ folder, name, path: join(dir, folder, name) });
    return found;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readHead(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}

function summarise(id: string, folder: 'new' | 'cur', size: number, text: string): MessageSummary {
  const { fields } = parseHeader(text);
  const get = (name: string) => fields.find((f) => f.name.toLowerCase() === name)?.value;
  return {
    id,
    folder,
    size,
    returnPath: get('return-path')?.replace(/^<|>$/g, ''),
    deliveredTo: get('delivered-to'),
    subject: get('subject') && decodeWords(get('subject')!),
    from: get('from') && decodeWords(get('from')!),
    to: get('to') && decodeWords(get('to')!),
    date: get('date'),
    messageId: get('message-id'),
    hops: fields.filter((f) => f.name.toLowerCase() === 'received').length,
  };
}

/** RFC 5322 §2.2: fields up to the first empty line, unfolded (§2.2.3). */
export function parseHeader(text: string): { fields: { name: string; value: string }[]; bodyStart: number } {
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const bodyStart = end < 0 ? text.length : end + (/^\r?\n\r?\n/.exec(text.slice(end))?.[0].length ?? 0);
  const fields: { name: string; value: string }[] = [];
  for (const line of head.split(/\r?\n(?![ \t])/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({
      name: line.slice(0, colon).trim(),
      value: line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    });
  }
  return { fields, bodyStart };
}

/** RFC 5321 §4.4 trace fields: "from X (...) by Y (...) with Z id W for <a>; date". */
export function parseReceived(value: string): Received {
  const semi = value.lastIndexOf(';');
  const clauses = semi < 0 ? value : value.slice(0, semi);
  const word = (name: string) => new RegExp(`(?:^|\\s)${name}\\s+(\\S+)`, 'i').exec(clauses)?.[1];
  const fromClause = /(?:^|\s)from\s+(\S+(?:\s+\([^)]*\))?)/i.exec(clauses)?.[1];
  const forAddress = word('for')?.replace(/^<|>$/g, '');
  const received: { -readonly [K in keyof Received]: Received[K] } = { text: value };
  if (fromClause) received.from = fromClause;
  const by = word('by');
  if (by) received.by = by;
  const id = word('id');
  if (id) received.id = id;
  if (forAddress) received.for = forAddress;
  if (semi >= 0) received.date = value.slice(semi + 1).trim();
  return received;
}

/** RFC 2047 encoded words ("=?utf-8?B?...?="), for display; anything unreadable is left as it is. */
export function decodeWords(text: string): string {
  return text
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (whole, charset: string, encoding: string, data: string) => {
      try {
        const bytes =
          encoding.toUpperCase() === 'B'
            ? Buffer.from(data, 'base64')
            : Buffer.from(
                data
                  .replace(/_/g, ' ')
                  .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
                'latin1',
              );
        return new TextDecoder(charset.replace(/\*.*$/, '')).decode(bytes);
      } catch {
        return whole;
      }
    });
}
