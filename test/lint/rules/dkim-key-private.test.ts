import rule from '../../../src/lint/rules/dkim-key-private.js';
import { dkimFiles, dkimTopology, keyFile } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    { name: 'keys of mode 0600', topology: dkimTopology(), files: dkimFiles() },
    {
      name: 'a key of mode 0400',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/acme.example.pem': keyFile('rsa-2048', 0o400) }),
    },
    {
      name: 'a file system without POSIX modes (Windows)',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/acme.example.pem': 'x' }), // no mode given; not a key either (dkim-key-valid says so)
    },
  ],
  invalid: [
    {
      name: 'a key as a git checkout writes it (0644)',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/acme.example.pem': keyFile('rsa-2048', 0o644) }),
      errors: [{ messageId: 'exposed', path: '/defaults/dkim/0/key' }],
    },
    {
      name: 'a key its group may read',
      topology: dkimTopology(),
      files: dkimFiles({ 'keys/globex.example.pem': keyFile('rsa-2048-other', 0o640) }),
      errors: [{ messageId: 'exposed' }],
    },
  ],
});
