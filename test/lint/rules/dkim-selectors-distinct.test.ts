import rule from '../../../src/lint/rules/dkim-selectors-distinct.js';
import { dkimFiles, dkimTopology, keyFile } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

const rotation = (second: Record<string, unknown>) =>
  dkimTopology((t) => {
    t.domains['acme.example'].dkim = [
      { selector: 's2026', algorithm: 'rsa-2048', key: 'keys/acme.example.pem' },
      { selector: 's2027', algorithm: 'rsa-2048', key: 'keys/s2027.pem', ...second },
    ];
  });

testRule(rule, {
  valid: [
    { name: 'one selector per domain', topology: dkimTopology(), files: dkimFiles() },
    {
      name: 'a new selector published ahead of its turn',
      topology: rotation({ active: false }),
      files: dkimFiles({ 'keys/s2027.pem': keyFile('rsa-4096') }),
    },
    {
      name: 'one RSA and one Ed25519 selector',
      topology: rotation({ algorithm: 'ed25519' }),
      files: dkimFiles({ 'keys/s2027.pem': keyFile('ed25519') }),
    },
    {
      name: 'two RSA selectors for different hosts',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 'm1', algorithm: 'rsa-2048', key: 'keys/acme.example.pem', hosts: ['store1'] },
          { selector: 'm2', algorithm: 'rsa-2048', key: 'keys/m2.pem', hosts: ['store2'] },
        ];
      }),
      files: dkimFiles({ 'keys/m2.pem': keyFile('rsa-4096') }),
    },
  ],
  invalid: [
    {
      name: 'two active RSA selectors',
      topology: rotation({}),
      files: dkimFiles({ 'keys/s2027.pem': keyFile('rsa-4096') }),
      errors: [
        { messageId: 'twoActive', path: '/domains/acme.example/dkim/1' },
        { messageId: 'twoActive', path: '/domains/acme.example/dkim/1' },
      ],
    },
    {
      name: 'a selector listed twice',
      topology: rotation({ selector: 'S2026', active: false }),
      files: dkimFiles({ 'keys/s2027.pem': keyFile('rsa-4096') }),
      errors: [{ messageId: 'repeated', path: '/domains/acme.example/dkim/1' }],
    },
  ],
});
