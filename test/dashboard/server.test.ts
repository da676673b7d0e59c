/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON is read as it comes: the assertions are the type check */
/**
 * The dashboard's API and its guard, over a real sandbox, driven with raw HTTP (node:http, so
 * that Host and Origin are exactly what a hostile page or another local user would send) and
 * with nodemailer as the outside SMTP client.
 */
import { request } from 'node:http';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { planOf, topology } from '../helpers/topology.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): any;
}

function http(
  dashboard: Dashboard,
  path: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: dashboard.address,
        port: dashboard.port,
        path,
        method,
        headers: { host: `127.0.0.1:${dashboard.port}`, ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const bearer = (d: Dashboard) => ({ authorization: `Bearer ${d.token}` });

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not there after ${ms} ms: ${JSON.stringify(value).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sendFromOutside(sandbox: Sandbox, hostId: string, to: string, subject: string): Promise<string> {
  const endpoint = sandbox.hosts.get(hostId)!.services.smtp!;
  const transport = nodemailer.createTransport({ host: endpoint.host, port: endpoint.port, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ from: 'ext@outside.example', to, subject, text: `body of ${subject}` });
    return info.messageId;
  } finally {
    transport.close();
  }
}

let sandbox: Sandbox;
let dashboard: Dashboard;
beforeAll(async () => {
  sandbox = await startSandbox({ plan: await planOf(topology()), stateDir: await tempDir('dashboard') });
  dashboard = await startDashboard({ engine: sandbox });
});
afterAll(async () => {
  await dashboard?.close();
  await sandbox?.close();
  await removeTempDirs();
});

describe('the dashboard guard', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(dashboard.url).toContain(dashboard.token);
  });

  it.each([
    ['the page', '/'],
    ['an asset', '/assets/app.js'],
    ['the API', '/api/hosts'],
    ['the event stream', '/api/events'],
  ])('refuses %s without the token (401, with a Bearer challenge)', async (_what, path) => {
    const answer = await http(dashboard, path);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(answer.text).not.toContain('mail1');
  });

  it('refuses a wrong token (403), by query or by header', async () => {
    expect((await http(dashboard, '/api/hosts?token=guess')).status).toBe(403);
    expect((await http(dashboard, '/api/hosts', { headers: { authorization: 'Bearer guess' } })).status).toBe(403);
    expect((await http(dashboard, `/api/hosts?token=${dashboard.token}x`)).status).toBe(403);
  });

  it('takes the token as a query parameter or as a Bearer header', async () => {
    expect((await http(dashboard, `/api/hosts?token=${dashboard.token}`)).status).toBe(200);
    expect((await http(dashboard, '/api/hosts', { headers: bearer(dashboard) })).status).toBe(200);
  });

  it('refuses a foreign Host even with the token: a rebound DNS name reaches the port, not the dashboard', async () => {
    for (const host of [
      `attacker.example:${dashboard.port}`,
      '127.0.0.1:1',
      `127.0.0.1.nip.example:${dashboard.port}`,
    ]) {
      const answer = await http(dashboard, `/api/hosts?token=${dashboard.token}`, { headers: { host } });
      expect(answer.status, host).toBe(403);
      expect(answer.json().error).toMatch(/Host/);
    }
    for (const host of [`localhost:${dashboard.port}`, `[::1]:${dashboard.port}`])
      expect((await http(dashboard, '/api/hosts', { headers: { host, ...bearer(dashboard) } })).status, host).toBe(200);
  });

  it('refuses a foreign Origin even with the token, and the host stays up (no CSRF)', async () => {
    for (const origin of ['http://attacker.example', 'null', `http://127.0.0.1:${dashboard.port + 1}`]) {
      const answer = await http(dashboard, '/api/hosts/store1/down', {
        method: 'POST',
        headers: { origin, ...bearer(dashboard) },
      });
      expect(answer.status, origin).toBe(403);
      expect(answer.json().error).toMatch(/Origin/);
    }
    expect(sandbox.status('store1')).toBe('up');
    const own = await http(dashboard, '/api/hosts', {
      headers: { origin: `http://127.0.0.1:${dashboard.port}`, ...bearer(dashboard) },
    });
    expect(own.status).toBe(200);
  });

  it('serves the page with a Content-Security-Policy of its own files only, and no referrer', async () => {
    const page = await http(dashboard, `/?token=${dashboard.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self' 'sha256-/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    for (const asset of ['app.js', 'style.css', 'preact.js', 'hooks.js', 'htm.js'])
      expect((await http(dashboard, `/assets/${asset}?token=${dashboard.token}`)).status, asset).toBe(200);
  });

  it('listens on loopback only', async () => {
    await expect(startDashboard({ engine: sandbox, address: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });
});

describe('the dashboard API', () => {
  const get = async (path: string) => {
    const answer = await http(dashboard, `/api/${path}`, { headers: bearer(dashboard) });
    expect(answer.status, `${path}: ${answer.text}`).toBe(200);
    return answer.json();
  };
  const post = (path: string) => http(dashboard, `/api/${path}`, { method: 'POST', headers: bearer(dashboard) });

  it('lists the hosts with status, queue size and services; down, cut and up act on the sandbox', async () => {
    const hosts = await get('hosts');
    expect(hosts.map((h: any) => [h.id, h.status, h.queue])).toEqual([
      ['store1', 'up', 0],
      ['store2', 'up', 0],
      ['backup', 'up', 0],
    ]);
    expect(hosts[0].services.smtp).toEqual(sandbox.hosts.get('store1')!.services.smtp);
    for (const action of ['down', 'cut', 'up'] as const) {
      const answer = await post(`hosts/store2/${action}`);
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({ id: 'store2', status: action });
      expect(sandbox.status('store2')).toBe(action);
    }
    expect((await post('hosts/nowhere/down')).status).toBe(404);
    expect(
      (await http(dashboard, '/api/hosts/store1/down', { method: 'DELETE', headers: bearer(dashboard) })).status,
    ).toBe(405);
  });

  it('shows the queue while a host is down, retries one host, and the mailbox, message and journey after', async () => {
    await post('hosts/store2/down');
    const messageId = await sendFromOutside(sandbox, 'store1', 'bob@acme.example', 'queued for bob');
    const queue = await eventually(
      () => get('hosts/store1/queue'),
      (q) => q.messages?.some((m: any) => m.attempts >= 1 && m.recipients[0].reason),
    );
    const held = queue.messages.find((m: any) => m.recipients[0].address === 'bob@acme.example');
    expect(held).toMatchObject({ from: 'ext@outside.example', size: expect.any(Number) });
    expect(held.recipients[0].reason).toMatch(/^4\d\d /);
    expect((await get('hosts/store2/queue')).messages).toBeNull();

    await post('hosts/store2/up');
    expect((await post('hosts/store1/retry')).status).toBe(200);
    const boxes = await eventually(
      () => get('hosts/store2/mailboxes'),
      (b) => b.some((m: any) => m.address === 'bob@acme.example' && m.messages >= 1),
    );
    expect(boxes.find((b: any) => b.address === 'bob@acme.example').messages).toBe(1);
    const [message] = await get(`hosts/store2/mailboxes/${encodeURIComponent('bob@acme.example')}`);
    expect(message).toMatchObject({
      subject: 'queued for bob',
      returnPath: 'ext@outside.example',
      deliveredTo: 'bob@acme.example',
      messageId,
      hops: 2,
    });
    const detail = await get(`hosts/store2/mailboxes/bob@acme.example/${message.id}`);
    expect(detail.received.map((r: any) => r.by)).toEqual(['mail2.infra.example', 'mail1.infra.example']);
    expect(detail.raw).toContain('queued for bob');
    const raw = await http(dashboard, `/api/hosts/store2/mailboxes/bob@acme.example/${message.id}/raw`, {
      headers: bearer(dashboard),
    });
    expect(raw.text).toBe(detail.raw);
    // Outside the Maildir root, or not a planned mailbox: nothing.
    for (const path of [
      'hosts/store2/mailboxes/..%2F..%2Fetc@acme.example',
      `hosts/store2/mailboxes/bob@acme.example/..%2Flock`,
    ])
      expect((await http(dashboard, `/api/${path}`, { headers: bearer(dashboard) })).status, path).toBe(404);

    const journey = await get(`journey?message-id=${encodeURIComponent(messageId)}`);
    expect(journey.hops.map((h: any) => h.host)).toEqual(['store1', 'store2']);
    const steps = journey.hops[0].steps.map((s: any) => s.type);
    expect(steps[0]).toBe('accepted');
    expect(steps).toContain('deferred');
    expect(steps.at(-1)).toBe('delivered');
    expect(journey.hops[0].steps.find((s: any) => s.type === 'routed').text).toMatch(/planned host store2/);
    expect(journey.hostChanges.map((s: any) => s.text)).toEqual(
      expect.arrayContaining(['store2 is down', 'store2 is up']),
    );
    // The same journey from the first hop's queue id.
    const byQueue = await get(`journey?host=store1&queue=${journey.hops[0].queueId}`);
    expect(byQueue.hops.map((h: any) => h.queueId)).toEqual(journey.hops.map((h: any) => h.queueId));
  });

  it('explains a backup MX hop with the DNS answers that chose it', async () => {
    const messageId = await sendFromOutside(sandbox, 'backup', 'carol@globex.example', 'through the backup');
    const journey = await eventually(
      () => get(`journey?message-id=${encodeURIComponent(messageId)}`),
      (j) => j.hops.length === 2 && j.hops[1].steps.some((s: any) => s.type === 'delivered'),
    );
    expect(journey.hops.map((h: any) => h.host)).toEqual(['backup', 'store2']);
    const routed = journey.hops[0].steps.find((s: any) => s.type === 'routed');
    expect(routed.text).toMatch(
      /looked up the MX of globex\.example; MX globex\.example: (10 mail2\.infra\.example, 20 mx-backup|20 mx-backup\.infra\.example, 10 mail2)/,
    );
    expect(routed.text).toMatch(/it is MX 20 itself/);
    expect(routed.activity.lookups).toContainEqual({ name: 'mail2.infra.example', type: 'A', answers: ['192.0.2.11'] });
  });

  it('logs DNS queries, and streams activity live, replaying what a reconnecting client missed', async () => {
    const dns = await eventually(
      () => get('dns'),
      (list) => list.some((q: any) => q.query.name === 'globex.example' && q.query.type === 'MX'),
    );
    expect(dns[0].query).toMatchObject({ transport: expect.stringMatching(/udp|tcp/), rcode: expect.any(String) });
    const last = (await get('activity')).at(-1).seq as number;

    // A client that saw everything up to `last - 1` gets `last` again, then live events.
    const events: { id: string; event: string; data: any }[] = [];
    const req = request({
      host: dashboard.address,
      port: dashboard.port,
      path: '/api/events',
      headers: { host: `127.0.0.1:${dashboard.port}`, ...bearer(dashboard), 'last-event-id': String(last - 1) },
    });
    const closed = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string) =>
              /^(\w+): (.*)$/gm.exec(block) && new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
            if (field('event'))
              events.push({ id: field('id')!, event: field('event')!, data: JSON.parse(field('data')!) });
          }
        });
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
    });
    req.end();
    await eventually(
      async () => events.length,
      (n) => n >= 1,
    );
    expect(events[0]).toMatchObject({ id: String(last), event: 'activity' });
    await post('hosts/backup/down');
    const live = await eventually(
      async () => events.find((e) => e.event === 'activity' && e.data.activity.type === 'host'),
      (e) => e !== undefined,
    );
    expect(live!.data.activity).toEqual({ type: 'host', host: 'backup', status: 'down' });
    await post('hosts/backup/up');
    req.destroy();
    await closed;
  });

  it('answers malformed requests with 400 or 404 and goes on serving', async () => {
    const cases: [string, string, number][] = [
      ['GET', '/api/hosts/%E0%A4%A', 400],
      ['GET', '/api/activity?since=yesterday', 400],
      ['GET', '/api/dns?limit=-1', 400],
      ['GET', '/api/journey', 400],
      ['GET', '/api/journey?host=store1&queue=NOPE', 404],
      ['GET', '/api/nothing', 404],
      ['GET', '/assets/../package.json', 404],
      ['GET', '/api/hosts/store1/mailboxes/bob@acme.example/x/y/z', 404],
      ['PUT', '/api/hosts', 405],
    ];
    for (const [method, path, status] of cases) {
      const answer = await http(dashboard, path, { method, headers: bearer(dashboard) });
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(status);
      expect(answer.json().error).toMatch(/\S/);
    }
    expect((await get('hosts')).length).toBe(3);
  });

  it('answers the plan and its diagram', async () => {
    const plan = await get('plan');
    expect(plan.domains.find((d: any) => d.name === 'acme.example').mx).toEqual([
      { preference: 10, exchange: 'mail1.infra.example', host: 'store1' },
      { preference: 50, exchange: 'mx-backup.infra.example', host: 'backup' },
    ]);
    const { svg } = await get('plan/diagram');
    // Graphviz writes the "-" of an id as a character reference; the browser reads it as "-".
    expect(svg).toMatch(/<svg[\s\S]*id="host(-|&#45;)store1"[\s\S]*<\/svg>/);
  });
});
