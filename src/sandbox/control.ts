/**
 * Commands a person (or a test) types into a running sandbox, one per line:
 *   down <host>   take a host down (its port refuses connections)
 *   up <host>     bring it back; its queue resumes
 *   retry         every queue retries now, ignoring backoff
 *   status        which hosts are up, how many messages each has queued, and its spool on disk
 */
import type { Sandbox } from './sandbox.js';

export async function runControl(sandbox: Sandbox, line: string): Promise<string> {
  const [verb, arg] = line.trim().split(/\s+/);
  switch (verb) {
    case undefined:
    case '':
      return '';
    case 'down':
    case 'up': {
      if (!arg || !sandbox.hosts.has(arg))
        return `no planned host "${arg ?? ''}"; hosts: ${[...sandbox.hosts.keys()].join(', ')}`;
      await sandbox[verb](arg);
      return `${arg} is ${verb}`;
    }
    case 'retry':
      sandbox.retryNow();
      return 'retrying every queue now';
    case 'status':
      return [...sandbox.hosts.keys()]
        .map((id) => {
          const relay = sandbox.relay(id);
          if (!relay) return `${id.padEnd(10)} down`;
          const spool = relay.spoolStats();
          return `${id.padEnd(10)} up, ${relay.queued()} queued, spool ${spool.segments} segment${spool.segments === 1 ? '' : 's'}`;
        })
        .join('\n');
    default:
      return `unknown command "${verb}": down <host>, up <host>, retry, status`;
  }
}
