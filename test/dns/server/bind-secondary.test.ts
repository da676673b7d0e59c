/**
 * A BIND secondary copies every zone from the responder (SOA query over UDP, then a transfer
 * over TCP, as named does it), and what it then serves by AXFR equals the zone files.
 * named runs in the foreground on its own loopback port and is stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveZones } from '../../../src/dns/derive.js';
import { formatZone } from '../../../src/dns/zone-file.js';
import { startDnsServer, type DnsServer } from '../../../src/dns/server.js';
import { freePort, namedOptions, stopDaemon } from '../../helpers/authoritative.js';
import { requireTool } from '../../helpers/tools.js';
import { baseTopology, planOf } from '../../helpers/topology.js';
import { compiledRecords } from '../zone-tools.js';
import { dig } from './clients.js';

const ready = requireTool('named') && requireTool('dig') && requireTool('named-compilezone');

let named: ChildProcess | undefined;
let server: DnsServer | undefined;
let dir: string | undefined;

afterAll(async () => {
  await stopDaemon(named);
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function namedConf(directory: string, port: number, primaryPort: number, origins: readonly string[]): string {
  return [
    ...namedOptions(directory, port),
    ...origins.map(
      (origin) =>
        `zone "${origin}" { type secondary; primaries { 127.0.0.1 port ${primaryPort}; }; file "${origin}.db"; masterfile-format text; };`,
    ),
    '',
  ].join('\n');
}

describe.runIf(ready)('a BIND secondary', () => {
  it('transfers every zone, and then serves exactly the zone files', async () => {
    const zones = deriveZones(await planOf(baseTopology()), { serial: 2026112801 });
    server = await startDnsServer({ zones });
    dir = await mkdtemp(join(tmpdir(), 'mxplan-named-'));
    const port = await freePort();
    const conf = join(dir, 'named.conf');
    await writeFile(
      conf,
      namedConf(
        dir,
        port,
        server.port,
        zones.map((z) => z.origin),
      ),
    );

    named = spawn('named', ['-g', '-4', '-n', '1', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const transferred = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      named!.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        for (const m of log.matchAll(/transfer of '([^/]+)\/IN' from 127\.0\.0\.1#\d+: Transfer completed/g))
          transferred.add(m[1]!);
        if (transferred.size === zones.length) resolve();
      });
      named!.once('exit', (code) => reject(new Error(`named exited (${code}):\n${log}`)));
    });
    expect(log).not.toMatch(/failed while receiving responses|bad zone transfer request/);

    for (const zone of zones) {
      const { output } = await dig(port, ['+noall', '+answer', '+nocookie', zone.origin, 'AXFR']);
      const lines = output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
      const fromBind = join(dir, `${zone.origin}.from-bind`);
      const written = join(dir, `${zone.origin}.zone`);
      await writeFile(fromBind, `${lines.slice(0, -1).join('\n')}\n`);
      await writeFile(written, formatZone(zone));
      expect(await compiledRecords(zone.origin, fromBind), zone.origin).toEqual(
        await compiledRecords(zone.origin, written),
      );
    }
  });
});
