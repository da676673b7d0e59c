import rule from '../../../src/lint/rules/dkim-signs-every-sender.js';
import { dkimFiles, dkimTopology } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'every sending host signs (the default)', topology: dkimTopology(), files: dkimFiles() },
    { name: 'no DKIM at all (dmarc-alignment-possible judges what SPF covers)', topology: topology() },
    {
      name: 'selectors that name every sending host',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          {
            selector: 's1',
            algorithm: 'rsa-2048',
            key: 'keys/acme.example.pem',
            hosts: ['store1', 'mail2.infra.example'],
          },
        ];
      }),
      files: dkimFiles(),
    },
  ],
  invalid: [
    {
      name: 'a store whose users send for the domain signs nothing',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 's1', algorithm: 'rsa-2048', key: 'keys/acme.example.pem', hosts: ['store1'] },
        ];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'unsigned', path: '/domains/acme.example/dkim' }],
    },
    {
      name: 'the only selector is retired',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [
          { selector: 's1', algorithm: 'rsa-2048', key: 'keys/globex.example.pem', retired: '2026-01-01' },
        ];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'unsigned' }],
    },
    {
      name: 'a misspelt host',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [
          { selector: 's1', algorithm: 'rsa-2048', key: 'keys/globex.example.pem', hosts: ['stor2'] },
        ];
      }),
      files: dkimFiles(),
      errors: [
        { messageId: 'unsigned', path: '/domains/globex.example/dkim' },
        { messageId: 'unknown', path: '/domains/globex.example/dkim/0/hosts/0' },
      ],
    },
  ],
});
