/** Reading a sandbox's Maildirs the way a mail reader would: every message, parsed by mailparser. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { hostLayout, mailboxDir } from '../../src/state-layout.js';

/** The messages of a user's mailbox on a host (new/ then cur/), oldest name first. */
export async function mailboxMessages(stateDir: string, hostId: string, address: string): Promise<ParsedMail[]> {
  const dir = mailboxDir(hostLayout(stateDir, hostId).maildirRoot, address);
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      for (const name of (await readdir(join(dir, sub))).sort()) files.push(join(dir, sub, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return Promise.all(files.map(async (f) => simpleParser(await readFile(f))));
}
