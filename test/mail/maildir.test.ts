import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mailboxAddress, mailboxDir, MaildirStore } from '../../src/mail/maildir.js';
import { DirectoryHandles, syncDirectory } from '../../src/mail/sync-directory.js';
import { FakeClock } from './support/fake-clock.js';

// The real fsync, watched: which directories a delivery makes durable.
vi.mock('../../src/mail/sync-directory.js', async (original) => {
  const real = await original<typeof import('../../src/mail/sync-directory.js')>();
  return { ...real, syncDirectory: vi.fn(real.syncDirectory) };
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mxplan-maildir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const message = Buffer.from('From: alice@acme.example\r\nTo: bob@acme.example\r\nSubject: hi\r\n\r\nhello\r\n');

describe('MaildirStore', () => {
  it('makes a new mailbox durable: syncs every directory that gained an entry, and new/ after each rename', async () => {
    const store = new MaildirStore(root, 'mail2.infra.example', new FakeClock());
    let n = 0;
    const synced = async (address: string) => {
      vi.mocked(syncDirectory).mockClear();
      await store.deliver(address, message, `mail1.infra.example Q${++n}`, 'alice@acme.example');
      return vi
        .mocked(syncDirectory)
        .mock.calls.map(([dir]) => dir.slice(root.length) || '/')
        .sort();
    };
    // a new domain: the root gained it, the domain gained the mailbox, the mailbox its tmp/new/cur
    expect(await synced('bob@acme.example')).toEqual([
      '/',
      '/acme.example',
      '/acme.example/bob',
      '/acme.example/bob/new',
    ]);
    // a second mailbox of that domain: the root is unchanged
    expect(await synced('carol@acme.example')).toEqual([
      '/acme.example',
      '/acme.example/carol',
      '/acme.example/carol/new',
    ]);
    // a known mailbox: only the rename into new/
    expect(await synced('bob@acme.example')).toEqual(['/acme.example/bob/new']);
  });

  it('writes tmp, renames into new, and leaves tmp empty', async () => {
    const store = new MaildirStore(root, 'mail2.infra.example', new FakeClock());
    const { path, duplicate } = await store.deliver(
      'bob@acme.example',
      message,
      'mail1.infra.example Q1',
      'alice@acme.example',
    );
    expect(duplicate).toBe(false);
    const box = join(root, 'acme.example', 'bob');
    expect((await readdir(join(box, 'new'))).map((n) => join(box, 'new', n))).toEqual([path]);
    expect(await readdir(join(box, 'tmp'))).toEqual([]);
    expect(await readdir(join(box, 'cur'))).toEqual([]);
    expect(path).toMatch(/\/new\/1732766400\.[0-9a-f]{24}\.mail2\.infra\.example$/);
    const parsed = await simpleParser(await readFile(path));
    expect(parsed.subject).toBe('hi');
    // RFC 5321 §4.4: the final delivery records the envelope sender
    expect(parsed.headers.get('return-path')).toMatchObject({ value: [{ address: 'alice@acme.example' }] });
    expect(parsed.headers.get('delivered-to')).toMatchObject({ text: 'bob@acme.example' });
  });

  it('stores a delivery key once per mailbox, also across restarts and after a reader moved it to cur/', async () => {
    const clock = new FakeClock();
    const store = new MaildirStore(root, 'mail2.infra.example', clock);
    const first = await store.deliver('bob@acme.example', message, 'mail1.infra.example Q1', 'alice@acme.example');
    await clock.advance(5000);
    expect(
      (await store.deliver('bob@acme.example', message, 'mail1.infra.example Q1', 'alice@acme.example')).duplicate,
    ).toBe(true);
    // another key, or the same key for another mailbox, is another delivery
    expect(
      (await store.deliver('bob@acme.example', message, 'mail1.infra.example Q2', 'alice@acme.example')).duplicate,
    ).toBe(false);
    expect(
      (await store.deliver('carol@globex.example', message, 'mail1.infra.example Q1', 'alice@acme.example')).duplicate,
    ).toBe(false);

    // a mail reader marks it seen (Maildir: move to cur/ with an info suffix)
    const box = join(root, 'acme.example', 'bob');
    const name = first.path.split('/').pop()!;
    await rename(first.path, join(box, 'cur', `${name}:2,S`));
    const restarted = new MaildirStore(root, 'mail2.infra.example', clock);
    expect(
      (await restarted.deliver('bob@acme.example', message, 'mail1.infra.example Q1', 'alice@acme.example')).duplicate,
    ).toBe(true);
    expect((await readdir(join(box, 'new'))).length + (await readdir(join(box, 'cur'))).length).toBe(2);
  });

  it('clears tmp/ of what a crash left there when a mailbox is first used', async () => {
    const box = join(root, 'acme.example', 'bob');
    await mkdir(join(box, 'tmp'), { recursive: true });
    await writeFile(join(box, 'tmp', '1700000000.half-written'), 'Subject: never acknowl');
    const store = new MaildirStore(root, 'mail2.infra.example', new FakeClock());
    await store.deliver('bob@acme.example', message, 'k', '');
    expect(await readdir(join(box, 'tmp'))).toEqual([]);
    expect(await readdir(join(box, 'new'))).toHaveLength(1);
  });

  it('absorbs the same key delivered twice at once', async () => {
    const store = new MaildirStore(root, 'mail2.infra.example', new FakeClock());
    const results = await Promise.all([1, 2, 3].map(() => store.deliver('bob@acme.example', message, 'k', '')));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await readdir(join(root, 'acme.example', 'bob', 'new'))).toHaveLength(1);
  });

  it('escapes a local part that holds a slash (legal in RFC 5321 atext)', () => {
    const store = new MaildirStore(root, 'h', new FakeClock());
    expect(store.mailboxDir('a/b%c@acme.example')).toBe(join(root, 'acme.example', 'a%2Fb%25c'));
  });
});

describe('mailbox directories', () => {
  it.each([
    ['alice@acme.example', 'acme.example/alice'],
    ['a/b@acme.example', 'acme.example/a%2Fb'],
    ['100%@acme.example', 'acme.example/100%25'],
  ])('%s lives in <root>/%s, and the directory names the address back', (address, path) => {
    expect(mailboxDir('/root', address)).toBe(`/root/${path}`);
    const [domain, directory] = path.split('/') as [string, string];
    expect(mailboxAddress(domain, directory)).toBe(address);
  });
});

describe('DirectoryHandles', () => {
  const openDescriptors = () => readdirSync('/proc/self/fd').length;
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps at most 64 directories open between syncs, and none after close', async () => {
    const dirs = Array.from({ length: 100 }, (_, i) => join(root, `d${i}`));
    for (const dir of dirs) await mkdir(dir);
    const before = openDescriptors();
    const handles = new DirectoryHandles();
    for (const dir of dirs) await syncDirectory(dir, handles);
    await settled();
    expect(openDescriptors() - before).toBe(64);
    // the most recent 64 again: synced on the descriptors kept, none opened
    for (const dir of dirs.slice(-64)) await syncDirectory(dir, handles);
    await settled();
    expect(openDescriptors() - before).toBe(64);
    handles.close();
    await settled();
    expect(openDescriptors()).toBe(before);
    await syncDirectory(dirs[0]!, handles); // after close: opened, synced and closed again
    expect(openDescriptors()).toBe(before);
  });

  it('does not keep a directory whose sync failed', async () => {
    const handles = new DirectoryHandles();
    const before = openDescriptors();
    await expect(syncDirectory(join(root, 'missing'), handles)).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(join(root, 'missing'));
    await syncDirectory(join(root, 'missing'), handles);
    await settled();
    expect(openDescriptors() - before).toBe(1);
    handles.close();
    await settled();
    expect(openDescriptors()).toBe(before);
  });
});
