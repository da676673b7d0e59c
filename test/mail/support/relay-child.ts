/**
 * One relay in its own process, so a test can kill it with SIGKILL. Configuration comes as JSON
 * in argv[2]; every mail event is written to stdout as one JSON line. With `killOn`, the process
 * kills itself (SIGKILL) at the first matching event, before the relay takes its next step.
 */
import { EndpointBook } from '../../../src/mail/connector.js';
import type { MailEvent } from '../../../src/mail/events.js';
import { caresResolver } from '../../../src/mail/resolver.js';
import { startRelay } from '../../../src/mail/relay.js';
import { parsePlan } from '../../../src/topology/load.js';

interface ChildConfig {
  topology: string;
  hostId: string;
  stateDir: string;
  port: number;
  dns: { address: string; port: number };
  book: [string, { host: string; port: number }][];
  killOn?: Partial<MailEvent>;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const { plan } = await parsePlan(config.topology, 'topology.yaml', async () => {
  throw new Error('no sibling files');
});
if (!plan) throw new Error('topology does not load');

const matches = (event: MailEvent, pattern: Partial<MailEvent>) =>
  Object.entries(pattern).every(([k, v]) => (event as unknown as Record<string, unknown>)[k] === v);

const relay = await startRelay({
  plan,
  hostId: config.hostId,
  stateDir: config.stateDir,
  resolver: caresResolver(config.dns, { timeoutMs: 500 }),
  connector: new EndpointBook(config.book),
  profile: 'fast',
  listen: { address: '127.0.0.1', port: config.port },
  overrides: { firstRetry: 200, maxRetry: 800 },
  log: (event) => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    if (config.killOn && matches(event, config.killOn)) process.kill(process.pid, 'SIGKILL');
  },
});
process.on('SIGTERM', () => void relay.stop().then(() => process.exit(0)));
