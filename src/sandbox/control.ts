/**
 * Commands a person (or a test) types into a running sandbox, one per line:
 *   down <host>   take a host down (its port refuses connections)
 *   cut <host>    cut a host off (connections to its port time out)
 *   up <host>     bring it back; its queue resumes
 *   retry         every queue retries now, ignoring backoff
 *   status        each host's status, how many messages it has queued, and its spool on disk
 */
import type { RunningPlan } from './engine.js';
import type { Sandbox } from './sandbox.js';

const USAGE = 'down <host>, cut <host>, up <host>, retry, status';

/** Any running plan takes the commands; the built-in sandbox's status also shows each relay's spool. */
export type Controlled = Pick<RunningPlan, 'hosts' | 'status' | 'down' | 'cut' | 'up' | 'retryNow' | 'queued'> &
  Partial<Pick<Sandbox, 'relay'>>;

export async function runControl(sandbox: Controlled, line: string): Promise<string> {
  const [verb, arg] = line.trim().split(/\s+/);
  switch (verb) {
    case undefined:
    case '':
      return '';
    case 'down':
    case 'cut':
    case 'up': {
      if (!arg || !sandbox.hosts.has(arg))
        return `no planned host "${arg ?? ''}"; hosts: ${[...sandbox.hosts.keys()].join(', ')}`;
      await sandbox[verb](arg);
      return `${arg} is ${verb}`;
    }
    case 'retry':
      await sandbox.retryNow();
      return 'retrying every queue now';
    case 'status': {
      const lines = await Promise.all(
        [...sandbox.hosts.keys()].map(async (id) => {
          const relay = sandbox.relay?.(id);
          if (relay) {
            const spool = relay.spoolStats();
            return `${id.padEnd(10)} up, ${relay.queued()} queued, spool ${spool.segments} segment${spool.segments === 1 ? '' : 's'}`;
          }
          const queued = sandbox.relay ? undefined : await sandbox.queued(id).catch(() => undefined);
          return `${id.padEnd(10)} ${sandbox.status(id)}${queued ? `, ${queued.length} queued` : ''}`;
        }),
      );
      return lines.join('\n');
    }
    default:
      return `unknown command "${verb}": ${USAGE}`;
  }
}
