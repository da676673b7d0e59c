import { mkdtemp, readlink, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceError } from '../../src/errors.js';
import { openHostState } from '../../src/mail/state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxplan-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openHostState', () => {
  it('lays out <state>/<host> and holds a lock with this pid until released', async () => {
    const state = await openHostState(dir, 'store1');
    expect(state).toMatchObject({
      dir: join(dir, 'store1'),
      queueDir: join(dir, 'store1', 'queue'),
      maildirRoot: join(dir, 'store1', 'maildir'),
    });
    expect(await readlink(join(dir, 'store1', 'lock'))).toBe(String(process.pid));
    await expect(openHostState(dir, 'store1')).rejects.toThrow(ResourceError);
    await state.release();
    const again = await openHostState(dir, 'store1');
    await again.release();
  });

  it('takes over the lock of a process that is gone (kill -9 leaves it behind)', async () => {
    await mkdir(join(dir, 'store1'));
    // a pid above the kernel's pid_max cannot be running (a lock file, as older versions wrote it)
    await writeFile(join(dir, 'store1', 'lock'), '4194305\n');
    const state = await openHostState(dir, 'store1');
    expect(await readlink(join(dir, 'store1', 'lock'))).toBe(String(process.pid));
    await state.release();
  });
});

describe('startRelay', () => {
  it('reports a port in use as a ResourceError and leaves the state directory unlocked', async () => {
    const { startRelay } = await import('../../src/mail/relay.js');
    const { EndpointBook } = await import('../../src/mail/connector.js');
    const { planOf, topology } = await import('../helpers/topology.js');
    const net = await import('node:net');
    const plan = await planOf(topology());
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const resolver = { resolveMx: async () => [], resolve4: async () => [], resolve6: async () => [] };
    const options = {
      plan,
      hostId: 'store1',
      stateDir: dir,
      resolver,
      connector: new EndpointBook(),
      profile: 'fast' as const,
    };
    await expect(startRelay({ ...options, listen: { address: '127.0.0.1', port } })).rejects.toThrow(ResourceError);
    await new Promise((resolve) => taken.close(resolve));
    await using relay = await startRelay({ ...options, listen: { address: '127.0.0.1', port: 0 } });
    expect(relay.port).toBeGreaterThan(0);
  });
  it('frees its SMTP port and its state when the submission port is taken', async () => {
    const { startRelay } = await import('../../src/mail/relay.js');
    const { EndpointBook } = await import('../../src/mail/connector.js');
    const { openPki } = await import('../../src/tls/pki.js');
    const { tlsLayout } = await import('../../src/state-layout.js');
    const { planOf, topology } = await import('../helpers/topology.js');
    const net = await import('node:net');
    const plan = await planOf(topology());
    const pki = await openPki(dir, [{ id: 'mail1', files: tlsLayout(dir).host('mail1'), names: ['mail1'] }]);
    const free = async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      await new Promise((resolve) => server.close(resolve));
      return port;
    };
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const submissionPort = (taken.address() as { port: number }).port;
    const smtpPort = await free();
    const options = {
      plan,
      hostId: 'store1',
      stateDir: dir,
      resolver: { resolveMx: async () => [], resolve4: async () => [], resolve6: async () => [] },
      connector: new EndpointBook(),
      profile: 'fast' as const,
      tls: { identity: pki.identities.get('mail1')!, ca: pki.ca },
      listen: { address: '127.0.0.1', port: smtpPort },
    };
    await expect(
      startRelay({
        ...options,
        submission: { listen: { address: '127.0.0.1', port: submissionPort }, passwords: new Map() },
      }),
    ).rejects.toThrow(ResourceError);
    await new Promise((resolve) => taken.close(resolve));
    // The same SMTP port and state directory again: nothing of the failed start holds them.
    await using relay = await startRelay(options);
    expect(relay.port).toBe(smtpPort);
  });
});
