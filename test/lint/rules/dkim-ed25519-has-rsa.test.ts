import rule from '../../../src/lint/rules/dkim-ed25519-has-rsa.js';
import { dkimFiles, dkimTopology, keyFile } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    { name: 'RSA only', topology: dkimTopology(), files: dkimFiles() },
    {
      name: 'Ed25519 beside RSA, from the defaults',
      topology: dkimTopology((t) => {
        t.defaults.dkim.push({ selector: 'e2026', algorithm: 'ed25519', key: 'keys/{domain}.e.pem' });
      }),
      files: dkimFiles({
        'keys/acme.example.e.pem': keyFile('ed25519'),
        'keys/globex.example.e.pem': keyFile('ed25519-other'),
      }),
    },
  ],
  invalid: [
    {
      name: 'a domain that signs with Ed25519 alone',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [{ selector: 'e2026', algorithm: 'ed25519', key: 'keys/g.pem' }];
      }),
      files: dkimFiles({ 'keys/g.pem': keyFile('ed25519') }),
      errors: [{ messageId: 'alone', path: '/domains/globex.example/dkim/0' }],
    },
    {
      name: 'a host left out of the RSA selector',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 'r1', algorithm: 'rsa-2048', key: 'keys/acme.example.pem', hosts: ['store1'] },
          { selector: 'e1', algorithm: 'ed25519', key: 'keys/e.pem' },
        ];
      }),
      files: dkimFiles({ 'keys/e.pem': keyFile('ed25519') }),
      errors: [{ messageId: 'alone', path: '/domains/acme.example/dkim/1' }],
    },
  ],
});
