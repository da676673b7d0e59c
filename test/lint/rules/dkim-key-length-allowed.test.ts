import rule from '../../../src/lint/rules/dkim-key-length-allowed.js';
import { dkimFiles, dkimTopology, keyFile } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    { name: 'RSA 2048', topology: dkimTopology(), files: dkimFiles() },
    {
      name: 'RSA 1024 (allowed, if not recommended) and RSA 4096',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [{ selector: 's1', algorithm: 'rsa-1024', key: 'keys/a.pem' }];
        t.domains['globex.example'].dkim = [{ selector: 's1', algorithm: 'rsa-4096', key: 'keys/g.pem' }];
      }),
      files: { 'keys/a.pem': keyFile('rsa-1024'), 'keys/g.pem': keyFile('rsa-4096') },
    },
    {
      name: 'a short key already removed',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [
          { selector: 's2026', algorithm: 'rsa-2048', key: 'keys/acme.example.pem' },
          { selector: 'old', algorithm: 'rsa-512', key: 'keys/old.pem', retired: '2025-01-01', removed: '2025-02-01' },
        ];
      }),
      files: dkimFiles(),
    },
  ],
  invalid: [
    {
      name: 'a 512-bit key',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [{ selector: 'old', algorithm: 'rsa-512', key: 'keys/old.pem' }];
      }),
      files: dkimFiles({ 'keys/old.pem': keyFile('rsa-512') }),
      errors: [{ messageId: 'short', path: '/domains/acme.example/dkim/0/algorithm' }],
    },
    {
      name: 'a key file shorter than the selector says',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/acme.example.pem': keyFile('rsa-512') }),
      errors: [{ messageId: 'short' }],
    },
    {
      name: 'an 8192-bit key not every verifier handles',
      topology: dkimTopology((t) => {
        t.domains['acme.example'].dkim = [{ selector: 'big', algorithm: 'rsa-8192', key: 'keys/big.pem' }];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'long' }],
    },
  ],
});
