import rule from '../../../src/lint/rules/dmarc-alignment-possible.js';
import { dkimFiles, dkimTopology } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'every sending host is in SPF (the default senders)', topology: topology() },
    {
      name: 'a home host left out of senders signs with DKIM',
      topology: dkimTopology((t) => (t.domains['acme.example'].senders = ['store1'])),
      files: dkimFiles(),
    },
    {
      name: 'p=none asks receivers for nothing',
      topology: topology((t) => {
        t.domains['acme.example'].senders = ['store1'];
        t.domains['acme.example'].dmarc.policy = 'none';
      }),
    },
  ],
  invalid: [
    {
      name: "a home host left out of an explicit senders, signing nothing, under the domain's p=quarantine",
      topology: topology((t) => (t.domains['acme.example'].senders = ['store1'])),
      errors: [{ messageId: 'unaligned', path: '/domains/acme.example/dmarc' }],
    },
    {
      name: 'a sender without an address, under p=reject',
      topology: topology((t) => (t.hosts.store2.ipv4 = [])),
      errors: [
        { messageId: 'unaligned', path: '/domains/acme.example/dmarc' },
        { messageId: 'unaligned', path: '/domains/globex.example/dmarc' },
      ],
    },
  ],
});
