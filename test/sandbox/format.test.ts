/** The host table `mxplan sandbox` prints at start: every service's port, for people and their mail clients. */
import { describe, expect, it } from 'vitest';
import type { HostEndpoint } from '../../src/sandbox/engine.js';
import { hostTable } from '../../src/sandbox/format.js';

const at = (port: number) => ({ host: '127.0.0.1', port });
const endpoint = (
  hostId: string,
  fqdn: string,
  planned: string[],
  services: HostEndpoint['services'],
): HostEndpoint => ({
  hostId,
  fqdn,
  planned,
  address: '127.0.0.1',
  port: services.smtp?.port ?? 0,
  services,
});

describe('hostTable', () => {
  it('lists each service of each host, web hosts and the DNS, with the one loopback address in the header', () => {
    const hosts = [
      endpoint('mail1', 'mail1.tower.example', ['192.0.2.10', '2001:db8:10::10'], {
        smtp: at(2515),
        submission: at(2517),
        imap: at(2513),
        pop3: at(2510),
      }),
      endpoint('backup', 'mx-backup.tower.example', ['198.51.100.25'], { smtp: at(2535) }),
    ];
    const web = [{ ...endpoint('www', 'www.tower.example', ['192.0.2.80'], {}), port: 2543 }];
    expect(hostTable(hosts, { address: '127.0.0.1', port: 2503 }, web)).toBe(
      [
        'host    planned name             planned addresses           ports on 127.0.0.1',
        'mail1   mail1.tower.example      192.0.2.10 2001:db8:10::10  smtp 2515, submission 2517, imap 2513, pop3 2510',
        'backup  mx-backup.tower.example  198.51.100.25               smtp 2535',
        'www     www.tower.example        192.0.2.80                  https 2543',
        '(dns)   authoritative responder  every zone of the plan      dns 2503',
        '',
      ].join('\n'),
    );
  });

  it('names address and port of each when the endpoints are not all at one address', () => {
    const hosts = [endpoint('mail1', 'mail1.tower.example', ['192.0.2.10'], { smtp: { host: '127.0.0.2', port: 25 } })];
    expect(hostTable(hosts, { address: '127.0.0.1', port: 53 })).toContain('smtp 127.0.0.2:25');
  });
});
