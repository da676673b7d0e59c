/**
 * The contract suite of a running plan (src/sandbox/engine.ts): what any engine must do, checked
 * only through the contract, with clients nobody here wrote (c-ares for DNS, nodemailer for
 * SMTP). Bind it to an engine factory in a test file of its own:
 *
 *   describeEngineContract('built-in sandbox', builtinEngine);
 *
 * Everything is reached through the engine's DNS endpoint and connector, never by assuming
 * loopback, so an engine at the planned addresses (network namespaces) runs the same suite. One
 * engine serves the suite (engines may be slow to start); each test leaves every host up.
 */
import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { readdir, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity, DnsQuery, EngineFactory, Endpoint, RunningPlan } from '../../src/sandbox/engine.js';
import { mailboxDir } from '../../src/state-layout.js';
import type { Plan } from '../../src/topology/types.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';

/** How long anything that should happen may take on a loaded machine, ms. */
const PATIENCE = 15_000;

/**
 * What an engine does not do yet, declared where it is bound: the suite then holds that the gap
 * is real (so closing it fails here until the declaration goes) and checks everything else.
 */
export interface ContractGaps {
  /** Its DNS reports no query log (onDnsQuery never calls back). */
  readonly dnsQueryLog?: string;
  /** It reports no `routed` activity (why a host sent mail where it did). */
  readonly routed?: string;
  /** It serves no domain outside the plan (EngineOptions `outside`): it publishes none. */
  readonly outsideDomains?: string;
  /** It cannot switch to another plan while it runs (switchPlan rejects). */
  readonly switchPlan?: string;
}

export function describeEngineContract(name: string, factory: EngineFactory, gaps: ContractGaps = {}): void {
  describe(`${name}: the contract of a running plan`, () => {
    // store1 (mail1) and store2 (mail2) are stores, backup is relay-only; alice is on store1, bob on store2.
    let plan: Plan;
    let engine: RunningPlan;
    beforeAll(async () => {
      plan = await planOf(topology());
      engine = await factory({ plan, stateDir: await tempDir('contract') });
    });
    afterAll(async () => {
      await engine?.close();
      await removeTempDirs();
    });

    it('serves every zone of the plan at its DNS endpoint, to a real resolver', async () => {
      const resolver = new dns.Resolver({ timeout: 2000, tries: 3 });
      resolver.setServers([`${engine.dns.address}:${engine.dns.port}`]);
      const mx = await resolver.resolveMx('acme.example');
      expect(mx.map((m) => `${m.priority} ${m.exchange}`).sort()).toEqual([
        '10 mail1.infra.example',
        '50 mx-backup.infra.example',
      ]);
      expect(await resolver.resolve4('mail1.infra.example')).toEqual(['192.0.2.10']);
      expect(await resolver.resolve6('mail1.infra.example')).toEqual(['2001:db8::10']);
    });

    it('lists every planned host, and its connector reaches each planned address of each', async () => {
      expect(engine.name).toMatch(/\S/);
      expect([...engine.hosts.keys()].sort()).toEqual([...plan.hosts.keys()].sort());
      for (const host of plan.hosts.values()) {
        const endpoint = engine.hosts.get(host.id)!;
        expect(endpoint).toMatchObject({ hostId: host.id, fqdn: host.fqdn });
        expect([...endpoint.planned].sort()).toEqual([...host.ipv4, ...host.ipv6].sort());
        expect(engine.status(host.id)).toBe('up');
        for (const address of endpoint.planned)
          expect(await greeting(engine, reach(engine, address), PATIENCE)).toMatch(new RegExp(`^220 ${host.fqdn} `));
        // Its services name the same SMTP service.
        expect(endpoint.services.smtp, host.id).toBeDefined();
        expect(await greeting(engine, endpoint.services.smtp!, PATIENCE)).toMatch(new RegExp(`^220 ${host.fqdn} `));
      }
    });

    it('hands out its CA, and every host holds STARTTLS (RFC 3207) with a certificate for its name under that CA alone', async () => {
      expect(engine.tls?.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
      for (const host of plan.hosts.values())
        for (const address of [...host.ipv4, ...host.ipv6]) {
          const endpoint = reach(engine, address);
          // nodemailer's own client: STARTTLS required, the certificate checked for the host's fqdn.
          const transport = nodemailer.createTransport({
            host: endpoint.host,
            port: endpoint.port,
            requireTLS: true,
            name: 'client.example.com',
            connectionTimeout: PATIENCE,
            tls: { ca: [engine.tls!.ca], servername: host.fqdn, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
          });
          try {
            await expect(transport.verify(), `${host.id} [${address}]`).resolves.toBe(true);
          } finally {
            transport.close();
          }
        }
    });

    it('logs every DNS query it answers to every listener, until the listener is removed', async () => {
      const seen: DnsQuery[] = [];
      const remove = engine.onDnsQuery((q) => seen.push(q));
      const resolver = new dns.Resolver({ timeout: 2000, tries: 3 });
      resolver.setServers([`${engine.dns.address}:${engine.dns.port}`]);
      const before = Date.now();
      await resolver.resolveMx('globex.example');
      await expect(resolver.resolve4('nothing-here.globex.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      if (gaps.dnsQueryLog) {
        // The declared gap: the queries were answered, and nothing was logged.
        await new Promise((r) => setTimeout(r, 500));
        remove();
        expect(seen, gaps.dnsQueryLog).toEqual([]);
        return;
      }
      await eventually(async () => {
        const mine = seen.filter((q) => q.name?.toLowerCase().endsWith('globex.example'));
        expect(mine.map((q) => [q.name!.toLowerCase(), q.type, q.rcode])).toEqual(
          expect.arrayContaining([
            ['globex.example', 'MX', 'NOERROR'],
            ['nothing-here.globex.example', 'A', 'NXDOMAIN'],
          ]),
        );
        for (const q of mine) {
          expect(q.transport).toMatch(/^(udp|tcp)$/);
          expect(q.client).toMatch(/:\d+$/);
          expect(q.time).toBeGreaterThanOrEqual(before - 1000);
        }
      });
      remove();
      const count = seen.length;
      await resolver.resolveMx('acme.example');
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toHaveLength(count);
    });

    // down: a stopped host refuses; cut: behind a dead link nothing answers (1.5 s is plenty to tell).
    it.each([
      ['down', 'refused', PATIENCE],
      ['cut', 'timeout', 1500],
    ] as const)(
      '%s: a connection to the host is %s until it comes back at the same endpoint',
      async (fault, result, wait) => {
        const log = record(engine);
        const address = plan.hosts.get('store2')!.ipv4[0]!;
        await engine[fault]('store2');
        try {
          expect(engine.status('store2')).toBe(fault);
          expect(await greeting(engine, reach(engine, address), wait)).toBe(result);
        } finally {
          await engine.up('store2');
        }
        expect(engine.status('store2')).toBe('up');
        expect(await greeting(engine, reach(engine, address), PATIENCE)).toMatch(/^220 mail2\.infra\.example /);
        expect(log.stop().filter((a) => a.type === 'host')).toEqual([
          { type: 'host', host: 'store2', status: fault },
          { type: 'host', host: 'store2', status: 'up' },
        ]);
      },
    );

    it('takes a submission as a local user, delivers it, and tells every listener each step', async () => {
      const first = record(engine);
      const second = record(engine);
      const token = newToken();
      const queueId = await aliceToBob(engine, token);
      const delivered = await first.waitFor(
        'delivered',
        (a) => a.host === 'store2' && a.recipient === 'bob@acme.example' && a.to === 'maildir',
      );
      const accepted = first.seen.find(
        (a) => a.type === 'accepted' && a.host === 'store1' && a.recipients.includes('bob@acme.example'),
      );
      expect(accepted).toMatchObject({
        from: 'alice@acme.example',
        recipients: ['bob@acme.example'],
        messageId: `<${token}@contract.mxplan.invalid>`,
      });
      if (queueId !== undefined) expect(accepted).toMatchObject({ queueId });
      expect(delivered).toMatchObject({ queueId: expect.any(String), reply: expect.stringMatching(/^2\d\d /) });
      const handedOn = await first.waitFor(
        'delivered',
        (a) => a.host === 'store1' && a.recipient === 'bob@acme.example',
      );
      expect(handedOn).toMatchObject({ to: 'mail2.infra.example', reply: expect.stringMatching(/^250 /) });
      if (gaps.routed)
        expect(
          first.seen.filter((a) => a.type === 'routed'),
          gaps.routed,
        ).toEqual([]);
      else {
        // store1 forwarded it to bob's home at its planned address, no MX lookup; store2 took it.
        // Reported once store1's attempt is over, so after store2 took the message.
        const routed = await first.waitFor(
          'routed',
          (a) => a.host === 'store1' && a.recipients.includes('bob@acme.example'),
        );
        expect(routed).toMatchObject({
          queueId: accepted!.type === 'accepted' ? accepted!.queueId : '',
          via: { kind: 'host', host: 'store2' },
          lookups: [],
          relay: { exchange: 'mail2.infra.example', address: '192.0.2.11' },
        });
        expect(first.seen.indexOf(routed)).toBeLessThan(first.seen.indexOf(handedOn));
      }
      // The next hop took it under the same Message-ID: a journey follows the message across hosts.
      expect(
        first.seen.find((a) => a.type === 'accepted' && a.host === 'store2' && a.queueId === delivered.queueId),
      ).toMatchObject({ messageId: `<${token}@contract.mxplan.invalid>` });
      // In the mailbox the contract names: <maildirRoot>/<domain>/<local>/, a Maildir.
      expect(await mailboxHolding(engine, 'store2', 'bob@acme.example', token)).toHaveLength(1);
      expect(await mailboxHolding(engine, 'store1', 'bob@acme.example', token)).toHaveLength(0);

      // Fan-out: the second listener heard the same; once removed it hears nothing more.
      expect(second.stop()).toEqual(first.seen.slice(0, second.seen.length));
      expect(second.seen.length).toBeGreaterThanOrEqual(first.seen.indexOf(delivered) + 1);
      const after = second.seen.length;
      await aliceToBob(engine);
      const intoBob = (a: Activity) =>
        a.type === 'delivered' && a.host === 'store2' && a.recipient === 'bob@acme.example' && a.to === 'maildir';
      await eventually(async () => expect(first.seen.filter(intoBob)).toHaveLength(2));
      expect(second.seen).toHaveLength(after);
      first.stop();
    });

    it('lists what a host holds in its queue, defers while the next hop is down, and retries now', async () => {
      const log = record(engine);
      const token = newToken();
      await engine.down('store2');
      let queueId: string | undefined;
      try {
        queueId = await aliceToBob(engine, token);
        const deferred = await log.waitFor(
          'deferred',
          (a) => a.host === 'store1' && a.recipients.includes('bob@acme.example'),
        );
        expect(deferred).toMatchObject({ reason: expect.stringMatching(/\S/) });
        const held = (await engine.queued('store1'))!.filter((m) =>
          m.recipients.some((r) => r.address === 'bob@acme.example'),
        );
        expect(held, JSON.stringify(held)).toHaveLength(1);
        expect(held[0]).toMatchObject({ from: 'alice@acme.example', queueId: deferred.queueId });
        if (queueId !== undefined) expect(held[0]!.queueId).toBe(queueId);
        expect(held[0]!.arrival).toBeGreaterThan(Date.now() - 5 * 60_000);
        expect(held[0]!.recipients.find((r) => r.address === 'bob@acme.example')!.reason).toMatch(/\S/);
        // Its size (our message plus the Received headers of the hops), its attempts and its next one.
        expect(held[0]!.size).toBeGreaterThan(message(token, 'alice@acme.example', 'bob@acme.example').length);
        expect(held[0]!.size).toBeLessThan(4096);
        expect(held[0]!.attempts).toBeGreaterThanOrEqual(1);
        await eventually(async () => {
          const next = (await engine.queued('store1'))!.find((m) => m.queueId === deferred.queueId)!.nextAttempt;
          // While it waits: the time of the next attempt, after the deferral and within the backoff.
          expect(next).toBeGreaterThan(Date.now() - 1000);
          expect(next).toBeLessThan(Date.now() + 24 * 3600_000);
        });
        expect(await engine.queued('store2')).toBeUndefined();
      } finally {
        await engine.up('store2');
      }
      await engine.retryNow('store1');
      await log.waitFor('delivered', (a) => a.host === 'store2' && a.recipient === 'bob@acme.example');
      expect(await mailboxHolding(engine, 'store2', 'bob@acme.example', token)).toHaveLength(1);
      await eventually(async () => {
        const left = (await engine.queued('store1'))!.filter((m) =>
          m.recipients.some((r) => r.address === 'bob@acme.example'),
        );
        expect(left).toEqual([]);
      });
      log.stop();
    });

    it('tells why a backup MX sent mail where it did: the DNS answers, itself discarded, the candidate', async () => {
      const log = record(engine);
      const token = newToken();
      await fromOutside(engine, plan.hosts.get('backup')!.ipv4[0]!, 'alice@acme.example', token);
      if (gaps.routed) {
        // The declared gap: the mail goes where it must, and no one is told why (nor the client's HELO).
        await log.waitFor('delivered', (a) => a.host === 'store1' && a.recipient === 'alice@acme.example');
        expect(log.seen.find((a) => a.type === 'accepted' && a.host === 'backup')).toMatchObject({
          messageId: `<${token}@contract.mxplan.invalid>`,
        });
        expect(
          log.stop().filter((a) => a.type === 'routed'),
          gaps.routed,
        ).toEqual([]);
        return;
      }
      const routed = await log.waitFor(
        'routed',
        (a) => a.host === 'backup' && a.recipients.includes('alice@acme.example'),
      );
      expect(routed.via).toEqual({ kind: 'mx', domain: 'acme.example' });
      const mx = routed.lookups.find((l) => l.type === 'MX' && l.name === 'acme.example');
      expect([...mx!.answers].sort()).toEqual(['10 mail1.infra.example', '50 mx-backup.infra.example']);
      expect(routed.lookups).toContainEqual({ name: 'mail1.infra.example', type: 'A', answers: ['192.0.2.10'] });
      // RFC 5321 §5.1: the backup is MX 50 and discards itself; only mail1 is left.
      expect(routed.self).toBe(50);
      expect(routed.candidates.map((c) => c.exchange)).toEqual(expect.arrayContaining(['mail1.infra.example']));
      expect(routed.candidates.every((c) => c.exchange === 'mail1.infra.example' && c.preference === 10)).toBe(true);
      expect(routed.relay).toMatchObject({ exchange: 'mail1.infra.example', preference: 10 });
      const accepted = log.seen.find((a) => a.type === 'accepted' && a.host === 'backup');
      expect(accepted).toMatchObject({
        messageId: `<${token}@contract.mxplan.invalid>`,
        client: { helo: 'client.example.com' },
      });
      await log.waitFor('delivered', (a) => a.host === 'store1' && a.recipient === 'alice@acme.example');
      log.stop();
    });

    it('reports a refusal with the host, the stage, the address and the reply', async () => {
      const log = record(engine);
      await expect(fromOutside(engine, plan.hosts.get('store1')!.ipv4[0]!, 'nobody@acme.example')).rejects.toThrow();
      const refused = await log.waitFor('refused', (a) => a.address === 'nobody@acme.example');
      expect(refused).toMatchObject({ host: 'store1', stage: 'rcpt', reply: expect.stringMatching(/^550 /) });
      log.stop();
    });

    it('settles once the mail in motion has landed, and at `within` while mail still waits to move', async () => {
      // Forwarded from store1 to store2 after the submission returns: settled waits for it.
      const log = record(engine);
      const token = newToken();
      await aliceToBob(engine, token);
      await engine.settled({ quietMs: 500, within: PATIENCE });
      expect(
        log.seen.some((a) => a.type === 'delivered' && a.host === 'store2' && a.recipient === 'bob@acme.example'),
      ).toBe(true);
      expect(await mailboxHolding(engine, 'store2', 'bob@acme.example', token)).toHaveLength(1);

      // With store2 down the message waits in store1's queue, its retry due within the minute:
      // mail is not still, so it resolves at `within`, not before.
      await engine.down('store2');
      const waiting = newToken();
      try {
        await aliceToBob(engine, waiting);
        await log.waitFor('deferred', (a) => a.host === 'store1' && a.recipients.includes('bob@acme.example'));
        const t0 = performance.now();
        await engine.settled({ quietMs: 60_000, within: 300 });
        expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
      } finally {
        await engine.up('store2');
      }
      await engine.retryNow('store1');
      await eventually(async () =>
        expect(await mailboxHolding(engine, 'store2', 'bob@acme.example', waiting)).toHaveLength(1),
      );
      log.stop();
    });

    it('bounces what outlives the queue lifetime it was started with', async () => {
      const short = await factory({ plan, stateDir: await tempDir('contract-lifetime'), queueLifetime: 1 });
      try {
        const log = record(short);
        const token = newToken();
        await short.down('store2');
        await aliceToBob(short, token);
        const bounced = await log.waitFor(
          'bounced',
          (a) => a.host === 'store1' && a.recipients.includes('bob@acme.example'),
        );
        expect(bounced).toMatchObject({ reason: expect.stringMatching(/\S/) });
        // The DSN (RFC 3464) reaches the sender's own mailbox; it names the message it reports on.
        await eventually(async () =>
          expect(await mailboxHolding(short, 'store1', 'alice@acme.example', token)).toHaveLength(1),
        );
        log.stop();
      } finally {
        await short.close();
      }
    });

    it('serves an outside domain the caller takes mail for, and names the planned host behind each connection', async () => {
      // Asked while the connection is open, as a receiver asks: the engine may forget a closed one.
      const arrived: { source: string | undefined; data: string }[] = [];
      const running: { engine?: RunningPlan } = {};
      const listener = new SMTPServer({
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        logger: false,
        onData(stream, session, callback) {
          let data = '';
          stream.setEncoding('latin1');
          stream.on('data', (chunk: string) => (data += chunk));
          stream.on('end', () => {
            const remote = { host: session.remoteAddress, port: session.remotePort };
            arrived.push({ source: running.engine?.connector.sourceOf(remote), data });
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const address = listener.server.address();
      const endpoint = { host: '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0 };
      const other = await factory({
        plan,
        stateDir: await tempDir('contract-outside'),
        outside: [{ domain: 'contract-receiver.test', endpoint }],
      });
      running.engine = other;
      try {
        if (gaps.outsideDomains) {
          // The declared gap: asked for one, it publishes none (so nothing is sent there).
          expect(other.outside, gaps.outsideDomains).toEqual([]);
          return;
        }
        const [exchange] = other.outside;
        expect(exchange).toMatchObject({ domain: 'contract-receiver.test' });
        const planned = new Set([...plan.hosts.values()].flatMap((h) => [...h.ipv4, ...h.ipv6]));
        for (const a of exchange!.addresses) expect(planned.has(a)).toBe(false);
        const resolver = new dns.Resolver({ timeout: 2000, tries: 3 });
        resolver.setServers([`${other.dns.address}:${other.dns.port}`]);
        const mx = await resolver.resolveMx('contract-receiver.test');
        expect(mx.map((m) => m.exchange)).toEqual([exchange!.exchange]);
        expect(await resolver.resolve4(exchange!.exchange)).toEqual(
          exchange!.addresses.filter((a) => !a.includes(':')),
        );

        const token = newToken();
        await other.submit(
          'store2',
          { from: 'bob@acme.example', to: ['someone@contract-receiver.test'] },
          message(token, 'bob@acme.example', 'someone@contract-receiver.test'),
        );
        await eventually(async () => expect(arrived.some((a) => a.data.includes(token))).toBe(true));
        const got = arrived.find((a) => a.data.includes(token))!;
        // store2 is IPv4 only: it connects from its planned IPv4 address.
        expect(got.source).toBe(plan.hosts.get('store2')!.ipv4[0]);
        expect(other.connector.sourceOf({ host: '127.0.0.1', port: 1 })).toBeUndefined();
      } finally {
        await other.close();
        await new Promise<void>((resolve) => listener.close(() => resolve()));
      }
    });

    it('switches to a new plan while it runs: new hosts, new zones, queued mail routed anew', async () => {
      // bob moves to store1 (alice's store); backup2 (mx2) replaces the backup MX.
      const next = await planOf(
        topology((t) => {
          t.domains['acme.example'].users.bob = { host: 'store1', quota: '5GiB' };
          t.hosts.backup2 = { fqdn: 'mx2.infra.example', ipv4: ['198.51.100.26'], role: 'relay' };
          for (const domain of ['acme.example', 'globex.example'])
            for (const mx of t.domains[domain].mx) if (mx.host === 'backup') mx.host = 'backup2';
        }),
      );
      // An outside domain too, whose zone must outlive the switch (nothing is sent there: the endpoint is never dialled).
      const moving = await factory({
        plan,
        stateDir: await tempDir('contract-switch'),
        outside: [{ domain: 'contract-receiver.test', endpoint: { host: '127.0.0.1', port: 9 } }],
      });
      try {
        if (gaps.switchPlan) {
          await expect(moving.switchPlan(next), gaps.switchPlan).rejects.toThrow();
          expect(moving.plan).toBe(plan);
          return;
        }
        const log = record(moving);
        // bob's mail waits on store1 for his old home, store2, which is down.
        await moving.down('store2');
        const token = newToken();
        await aliceToBob(moving, token);
        await log.waitFor('deferred', (a) => a.host === 'store1' && a.recipients.includes('bob@acme.example'));

        await moving.switchPlan(next);
        expect(moving.plan).toBe(next);
        // The new backup is up and reachable; the retired one still runs, to drain.
        expect(moving.status('backup2')).toBe('up');
        expect(await greeting(moving, reach(moving, '198.51.100.26'), PATIENCE)).toMatch(/^220 mx2\.infra\.example /);
        expect(moving.status('backup')).toBe('up');
        expect(moving.hosts.has('backup')).toBe(true);
        // The DNS answers from the new zones.
        const resolver = new dns.Resolver({ timeout: 2000, tries: 3 });
        resolver.setServers([`${moving.dns.address}:${moving.dns.port}`]);
        expect((await resolver.resolveMx('acme.example')).map((m) => `${m.priority} ${m.exchange}`).sort()).toEqual([
          '10 mail1.infra.example',
          '50 mx2.infra.example',
        ]);
        expect(await resolver.resolve4('mx2.infra.example')).toEqual(['198.51.100.26']);
        // The outside domains' zones are still served beside the new plan's.
        if (!gaps.outsideDomains)
          expect((await resolver.resolveMx('contract-receiver.test')).map((m) => m.exchange)).toEqual(
            moving.outside.map((o) => o.exchange),
          );
        // The waiting message is routed anew: bob's home is store1 now, store2 still down.
        await moving.retryNow();
        await log.waitFor(
          'delivered',
          (a) => a.host === 'store1' && a.recipient === 'bob@acme.example' && a.to === 'maildir',
        );
        expect(await mailboxHolding(moving, 'store1', 'bob@acme.example', token)).toHaveLength(1);

        // A host that was down comes up under the new plan: store2 no longer takes acme.example.
        await moving.up('store2');
        await expect(fromOutside(moving, plan.hosts.get('store2')!.ipv4[0]!, 'bob@acme.example')).rejects.toMatchObject(
          {
            responseCode: 550,
          },
        );
        expect(await mailboxHolding(moving, 'store2', 'bob@acme.example', token)).toHaveLength(0);
        log.stop();
      } finally {
        await moving.close();
      }
    });

    it('closes: every endpoint refuses, and closing again is harmless', async () => {
      const other = await factory({ plan, stateDir: await tempDir('contract-close') });
      const endpoint = reach(other, plan.hosts.get('store1')!.ipv4[0]!);
      expect(await greeting(other, endpoint, PATIENCE)).toMatch(/^220 /);
      await other.close();
      await other.close();
      expect(await greeting(other, endpoint, PATIENCE)).toBe('refused');
    });
  });
}

function reach(engine: RunningPlan, address: string): Endpoint {
  const endpoint = engine.connector.endpointFor(address);
  if (!endpoint) throw new Error(`the connector has no endpoint for ${address}`);
  return endpoint;
}

/**
 * The first line a server sends, 'refused' when the connection is refused, 'timeout' when nothing
 * comes. Dialled through the connector's dial when it has one (the host's own answer, not a
 * forwarder's), else with net.connect.
 */
export function greeting(engine: RunningPlan, endpoint: Endpoint, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let finished = false;
    let text = '';
    const done = (result: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    const failed = (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : error.code!);
    const attach = (s: Socket) => {
      socket = s;
      if (finished) return s.destroy();
      s.setEncoding('latin1');
      s.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\r\n')) done(text.slice(0, text.indexOf('\r\n')));
      });
      s.on('error', failed);
    };
    if (engine.connector.dial) engine.connector.dial(endpoint).then(attach, failed);
    else attach(connect(endpoint.port, endpoint.host));
  });
}

type Of<T extends Activity['type']> = Extract<Activity, { type: T }>;

interface Recording {
  readonly seen: Activity[];
  /** The first activity of the type (seen already or to come) that matches. */
  waitFor<T extends Activity['type']>(type: T, match: (a: Of<T>) => boolean): Promise<Of<T>>;
  /** Stops listening; returns what was seen. */
  stop(): Activity[];
}

function record(engine: RunningPlan): Recording {
  const seen: Activity[] = [];
  const waiting = new Set<() => void>();
  const remove = engine.onActivity((a) => {
    seen.push(a);
    for (const wake of waiting) wake();
  });
  return {
    seen,
    waitFor<T extends Activity['type']>(type: T, match: (a: Of<T>) => boolean) {
      return new Promise<Of<T>>((resolve, reject) => {
        const check = () => {
          const found = seen.find((a): a is Of<T> => a.type === type && match(a as Of<T>));
          if (!found) return;
          clearTimeout(timer);
          waiting.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(
            new Error(
              `no matching activity within ${PATIENCE} ms; saw:\n${seen.map((a) => JSON.stringify(a)).join('\n')}`,
            ),
          );
        }, PATIENCE);
        waiting.add(check);
        check();
      });
    },
    stop() {
      remove();
      return seen;
    },
  };
}

export const newToken = () => randomBytes(8).toString('hex');

/** someone@example.com, an MTA outside the plan, sends to `to` at a planned address (nodemailer, as client.example.com). */
async function fromOutside(engine: RunningPlan, address: string, to: string, token = newToken()): Promise<void> {
  const endpoint = reach(engine, address);
  const transport = nodemailer.createTransport({
    host: endpoint.host,
    port: endpoint.port,
    ignoreTLS: true,
    name: 'client.example.com',
  });
  try {
    await transport.sendMail({
      envelope: { from: 'someone@example.com', to: [to] },
      raw: message(token, 'someone@example.com', to),
    });
  } finally {
    transport.close();
  }
}

/** alice (on store1) writes to bob (on store2), as a local user of store1. */
function aliceToBob(engine: RunningPlan, token = newToken()): Promise<string | undefined> {
  return engine.submit(
    'store1',
    { from: 'alice@acme.example', to: ['bob@acme.example'] },
    message(token, 'alice@acme.example', 'bob@acme.example'),
  );
}

export function message(token: string, from: string, to: string): Buffer {
  return Buffer.from(
    [
      `From: <${from}>`,
      `To: <${to}>`,
      `Subject: contract ${token}`,
      `Message-ID: <${token}@contract.mxplan.invalid>`,
      'Date: Sat, 28 Nov 2026 04:00:00 +0000',
      '',
      `contract ${token}`,
      '',
    ].join('\r\n'),
  );
}

/** The files of a user's Maildir on a host (new/ and cur/) that carry `token`. */
export async function mailboxHolding(
  engine: RunningPlan,
  hostId: string,
  address: string,
  token: string,
): Promise<string[]> {
  const dir = mailboxDir(engine.maildirRoot(hostId), address);
  const found: string[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
    for (const name of names) if ((await readFile(join(dir, sub, name), 'latin1')).includes(token)) found.push(name);
  }
  return found;
}

export async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + PATIENCE;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
