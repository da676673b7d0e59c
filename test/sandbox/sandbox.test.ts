/**
 * The sandbox's host options, in process: hosts that begin down, per-host relay settings, and
 * what a host that comes up for the first time publishes (address book, endpoints.json).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/errors.js';
import { runControl } from '../../src/sandbox/control.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { RawSmtp } from '../mail/support/raw-smtp.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';

const plan = await planOf(topology());
afterAll(removeTempDirs);

const endpoints = async (stateDir: string) =>
  JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8')) as { hosts: Record<string, { port: number }> };

describe('sandbox host options', () => {
  it('starts only the hosts named; one brought up later gets a port, an address book entry and its line in endpoints.json', async () => {
    const stateDir = await tempDir('sandbox');
    await using sandbox = await startSandbox({ plan, stateDir, start: ['store2'] });
    expect(sandbox.isUp('store2')).toBe(true);
    expect(sandbox.isUp('store1')).toBe(false);
    expect(sandbox.hosts.get('store1')!.port).toBe(0);
    expect(sandbox.endpointBook.endpointFor('192.0.2.10')).toBeUndefined();
    expect((await endpoints(stateDir)).hosts['store1']!.port).toBe(0);

    await sandbox.up('store1');
    const port = sandbox.hosts.get('store1')!.port;
    expect(port).toBeGreaterThan(0);
    expect(sandbox.endpointBook.endpointFor('192.0.2.10')).toEqual({ host: '127.0.0.1', port });
    expect((await endpoints(stateDir)).hosts['store1']!.port).toBe(port);

    // down and up again: the same port, as a host keeps its address
    await sandbox.down('store1');
    await sandbox.up('store1');
    expect(sandbox.hosts.get('store1')!.port).toBe(port);
    const { smtp, greeting } = await RawSmtp.connect(port);
    expect(greeting).toMatch(/^220 mail1\.infra\.example/);
    smtp.close();
  });

  it('applies per-host relay settings (here the message size limit) to that host only', async () => {
    await using sandbox = await startSandbox({
      plan,
      stateDir: await tempDir('sandbox'),
      relays: { store1: { maxMessageSize: 4096 } },
    });
    const size = async (hostId: string) => {
      const { smtp } = await RawSmtp.connect(sandbox.hosts.get(hostId)!.port);
      const ehlo = await smtp.command('EHLO client.example.com');
      smtp.close();
      return /SIZE (\d+)/.exec(ehlo)?.[1];
    };
    expect(await size('store1')).toBe('4096');
    expect(await size('store2')).toBe('10240000');
  });

  it("takes down, cut and up from its control input, and says each host's status", async () => {
    await using sandbox = await startSandbox({ plan, stateDir: await tempDir('sandbox') });
    expect(await runControl(sandbox, 'cut store2')).toBe('store2 is cut');
    expect(await runControl(sandbox, 'down backup')).toBe('backup is down');
    const status = await runControl(sandbox, 'status');
    expect(status).toMatch(/^store1 +up, 0 queued, spool \d+ segments?$/m);
    expect(status).toMatch(/^store2 +cut$/m);
    expect(status).toMatch(/^backup +down$/m);
    expect(await runControl(sandbox, 'up store2')).toBe('store2 is up');
    expect(sandbox.status('store2')).toBe('up');
    expect(await runControl(sandbox, 'sideways store2')).toBe('unknown command "sideways"; type help for the list');
  });

  it('refuses a host the plan does not have, and starts nothing', async () => {
    await expect(startSandbox({ plan, stateDir: await tempDir('sandbox'), start: ['store9'] })).rejects.toThrow(
      UnknownNameError,
    );
    await expect(startSandbox({ plan, stateDir: await tempDir('sandbox'), relays: { strore1: {} } })).rejects.toThrow(
      /no planned host "strore1"/,
    );
  });
});

describe('outside domains', () => {
  const endpoint = { host: '127.0.0.1', port: 9 }; // never dialled in these tests

  it('are served as zones of their own, outside the plan, at addresses no planned host has', async () => {
    await using sandbox = await startSandbox({
      plan,
      stateDir: await tempDir('sandbox-outside'),
      outside: [{ domain: 'Receiver.Test.', endpoint }],
    });
    const [exchange] = sandbox.outside;
    // 192.0.2.x and 198.51.100.x are the plan's: the benchmarking net (RFC 2544) and 2001:db8:ffff:: are not.
    expect(exchange).toEqual({
      domain: 'receiver.test',
      exchange: 'mx.receiver.test',
      addresses: ['198.18.0.25', '2001:db8:ffff::25'],
    });
    // The relays reach it through forwarders of their own; verify's sender, which dials planned
    // addresses only, does not.
    expect(sandbox.connector.endpointFor('198.18.0.25')).toBeUndefined();
    expect(sandbox.connector.sourceOf({ host: '127.0.0.1', port: 9 })).toBeUndefined();
  });

  it('never overlap a zone of the plan', async () => {
    await expect(
      startSandbox({
        plan,
        stateDir: await tempDir('sandbox-overlap'),
        outside: [{ domain: 'x.acme.example', endpoint }],
      }),
    ).rejects.toThrow(/outside domain x\.acme\.example overlaps the plan's zone acme\.example/);
  });
});
