import rule from '../../../src/lint/rules/dkim-key-length-recommended.js';
import { dkimFiles, dkimTopology, keyFile } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    { name: 'RSA 2048', topology: dkimTopology(), files: dkimFiles() },
    {
      name: 'Ed25519 beside RSA 4096',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 'r1', algorithm: 'rsa-4096', key: 'keys/r.pem' },
          { selector: 'e1', algorithm: 'ed25519', key: 'keys/e.pem' },
        ];
      }),
      files: dkimFiles({ 'keys/r.pem': keyFile('rsa-4096'), 'keys/e.pem': keyFile('ed25519') }),
    },
    {
      name: 'a retired 1024-bit key, on its way out',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 's2026', algorithm: 'rsa-2048', key: 'keys/acme.example.pem' },
          { selector: 's2019', algorithm: 'rsa-1024', key: 'keys/old.pem', retired: '2026-01-01' },
        ];
      }),
      files: dkimFiles({ 'keys/old.pem': keyFile('rsa-1024') }),
    },
    {
      name: 'a 512-bit key is an error of dkim-key-length-allowed, not this warning',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/acme.example.pem': keyFile('rsa-512') }),
    },
  ],
  invalid: [
    {
      name: 'a 1024-bit key',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [{ selector: 's2019', algorithm: 'rsa-1024', key: 'keys/old.pem' }];
      }),
      files: dkimFiles({ 'keys/old.pem': keyFile('rsa-1024') }),
      errors: [{ messageId: 'weak', path: '/domains/acme.example/dkim/0/algorithm' }],
    },
  ],
});
