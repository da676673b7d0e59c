/**
 * Postfix, the MTA operators reach for first, as a reference for bench/smtp.mjs: two private
 * instances on loopback doing the same paths as the relays.
 *
 *   mail2   smtpd on 127.0.0.1:<port>, acme.example as a virtual mailbox domain, bob's Maildir
 *   mail1   smtpd on 127.0.0.1:<port>, relays acme.example to mail2 (transport map), no DNS
 *
 * Each instance has its own configuration, queue and data directories under `dir` (whose parents
 * the postfix and nobody users must be able to traverse); nothing in
 * /etc is touched (`postfix -c` needs no alternate_config_directories when run by root). Postfix
 * fsyncs its queue file before its 250 and the Maildir file before removing the queue file, as
 * the relays do. Needs Debian's postfix and root; the system's own Postfix is never started.
 */
import { execFile } from 'node:child_process';
import { chown, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Debian's uid and gid for nobody: Postfix's virtual(8) will not deliver as root. */
const NOBODY = 65534;

/** Whether this machine can run the reference (Debian's postfix installed, and root). */
export async function postfixAvailable() {
  if (process.getuid?.() !== 0) return false;
  return run('postconf', ['-d', 'mail_version']).then(
    () => true,
    () => false,
  );
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function instance(dir, name, port, settings) {
  const etc = join(dir, name, 'etc');
  for (const sub of ['etc', 'spool', 'data']) await mkdir(join(dir, name, sub), { recursive: true });
  await chown(join(dir, name, 'data'), Number((await run('id', ['-u', 'postfix'])).stdout), 0);
  await copyFile('/etc/postfix/master.cf', join(etc, 'master.cf'));
  const main = {
    compatibility_level: '3.6',
    queue_directory: join(dir, name, 'spool'),
    data_directory: join(dir, name, 'data'),
    maillog_file: join(dir, name, 'maillog'),
    maillog_file_prefixes: join(dir, name),
    mydestination: '',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
    smtpd_peername_lookup: 'no',
    smtp_dns_support_level: 'disabled',
    alias_maps: '',
    alias_database: '',
    biff: 'no',
    default_process_limit: '200',
    smtpd_client_connection_count_limit: '0',
    smtpd_client_connection_rate_limit: '0',
    ...settings,
  };
  await writeFile(
    join(etc, 'main.cf'),
    Object.entries(main)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(''),
  );
  // The SMTP listener on our loopback port; no chroot (the queue directory has no /etc copy).
  await run('postconf', ['-c', etc, '-M#', 'smtp/inet']);
  await run('postconf', ['-c', etc, '-M', `127.0.0.1:${port}/inet=127.0.0.1:${port} inet n - n - - smtpd`]);
  await run('postconf', ['-c', etc, '-F', '*/*/chroot = n']);
  return etc;
}

/**
 * Starts mail2 (bob's Maildir) and mail1 (relay to mail2). Returns their ports, bob's new/, and
 * stop(), which must be called: the instances are daemons.
 */
export async function startPostfixPair(dir) {
  const [port1, port2] = [await freePort(), await freePort()];
  const maildirs = join(dir, 'mailboxes');
  await mkdir(maildirs, { recursive: true });
  await chown(maildirs, NOBODY, NOBODY);
  const mail2 = await instance(dir, 'mail2', port2, {
    myhostname: 'mail2.infra.example',
    virtual_mailbox_domains: 'acme.example',
    virtual_mailbox_base: maildirs,
    virtual_mailbox_maps: 'static:acme.example/bob/',
    virtual_uid_maps: `static:${NOBODY}`,
    virtual_gid_maps: `static:${NOBODY}`,
    virtual_minimum_uid: '100',
  });
  const mail1 = await instance(dir, 'mail1', port1, {
    myhostname: 'mail1.infra.example',
    relay_domains: 'acme.example',
    transport_maps: `inline:{acme.example=smtp:[127.0.0.1]:${port2}}`,
  });
  const started = [];
  const stop = async () => {
    for (const etc of started.splice(0)) await run('postfix', ['-c', etc, 'stop']).catch(() => {});
  };
  try {
    for (const etc of [mail2, mail1]) {
      await run('postfix', ['-c', etc, 'start']);
      started.push(etc);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port1, port2, mailbox: join(maildirs, 'acme.example', 'bob', 'new'), stop };
}
