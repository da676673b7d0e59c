import rule from '../../../src/lint/rules/dkim-key-valid.js';
import { dkimFiles, dkimTopology, keyFile, publicKeyOf } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    { name: 'a key file per domain from the defaults', topology: dkimTopology(), files: dkimFiles() },
    {
      name: 'a pinned public key that the key file matches',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [
          {
            selector: 's2026',
            algorithm: 'rsa-2048',
            key: 'keys/globex.example.pem',
            publicKey: publicKeyOf('rsa-2048-other'),
          },
        ];
      }),
      files: dkimFiles(),
    },
    {
      name: 'a retired selector that pins its public key needs no key file',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [
          { selector: 's2027', algorithm: 'ed25519', key: 'keys/globex.e2027.pem' },
          { selector: 's2027r', algorithm: 'rsa-2048', key: 'keys/globex.example.pem' },
          {
            selector: 's2025',
            algorithm: 'rsa-2048',
            key: 'keys/globex.s2025.pem',
            publicKey: publicKeyOf('rsa-4096'),
            retired: '2026-01-10',
          },
        ];
      }),
      files: dkimFiles({ 'keys/globex.e2027.pem': keyFile('ed25519') }),
    },
    {
      name: 'a removed selector needs no key',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [
          { selector: 's2026', algorithm: 'rsa-2048', key: 'keys/globex.example.pem' },
          {
            selector: 's2025',
            algorithm: 'rsa-2048',
            key: 'keys/gone.pem',
            retired: '2026-01-01',
            removed: '2026-02-01',
          },
        ];
      }),
      files: dkimFiles(),
    },
  ],
  invalid: [
    {
      name: "a domain's key file is missing",
      topology: dkimTopology(),
      files: { 'keys/acme.example.pem': keyFile('rsa-2048') },
      errors: [{ messageId: 'missing', path: '/defaults/dkim/0/key' }],
    },
    {
      name: 'the file holds no private key',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/globex.example.pem': 'not a key\n' }),
      errors: [{ messageId: 'invalid', path: '/defaults/dkim/0/key' }],
    },
    {
      name: 'an ECDSA key, which DKIM does not sign with',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/globex.example.pem': keyFile('ec-p256') }),
      errors: [{ messageId: 'invalid' }],
    },
    {
      name: 'the file holds another algorithm than the selector says',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [{ selector: 'e1', algorithm: 'ed25519', key: 'keys/globex.example.pem' }];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'algorithm', path: '/domains/globex.example/dkim/0/algorithm' }],
    },
    {
      name: 'an RSA key of another size than the selector says',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [{ selector: 's1', algorithm: 'rsa-4096', key: 'keys/globex.example.pem' }];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'algorithm' }],
    },
    {
      name: 'the key file no longer matches the pinned public key',
      topology: dkimTopology((t) => {
        t.domains['globex.example'].dkim = [
          {
            selector: 's2026',
            algorithm: 'rsa-2048',
            key: 'keys/globex.example.pem',
            publicKey: publicKeyOf('rsa-2048'),
          },
        ];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'pinned', path: '/domains/globex.example/dkim/0/publicKey' }],
    },
    {
      name: 'an unreadable key file',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/globex.example.pem': { error: 'EACCES', note: 'a file mxplan may not read' } }),
      errors: [{ messageId: 'unreadable' }],
    },
  ],
});
