/**
 * Commands a person (or a test) types into a running sandbox, one per line:
 *   down <host>   take a host down (its port refuses connections)
 *   cut <host>    cut a host off (connections to its port time out)
 *   up <host>     bring it back; its queue resumes
 *   retry         every queue retries now, ignoring backoff
 *   status        each host's status, how many messages it has queued, and its spool on disk
 */
import type { Sandbox } from './sandbox.js';

const USAGE = 'down <host>, cut <host>, up <host>, retry, status';

export async function runControl(sandbox: Sandbox, line: string): Promise<string> {
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
    case 'status':
      return [...sandbox.hosts.keys()]
        .map((id) => {
          const relay = sandbox.relay(id);
          if (!relay) return `${id.padEnd(10)} ${sandbox.status(id)}`;
          const spool = relay.spoolStats();
          return `${id.padEnd(10)} up, ${relay.queued()} queued, spool ${spool.segments} segment${spool.segments === 1 ? '' : 's'}`;
        })
        .join('\n');
    default:
      return `unknown command "${verb}": ${USAGE}`;
  }
}
