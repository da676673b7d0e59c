import rule from '../../../src/lint/rules/dkim-selector-retirement.js';
import { dkimFiles, dkimTopology, publicKeyOf } from '../../helpers/dkim.js';
import { testRule } from '../../helpers/rule-tester.js';

/** acme.example rotated from s2025 to s2026; s2025 as `old` says. The longest queue is the default 5d. */
const rotated = (old: Record<string, unknown>) =>
  dkimTopology((t) => {
    t.domains['acme.example'].dkim = [
      { selector: 's2026', algorithm: 'rsa-2048', key: 'keys/acme.example.pem' },
      { selector: 's2025', algorithm: 'rsa-2048', key: 'keys/s2025.pem', publicKey: publicKeyOf('rsa-4096'), ...old },
    ];
  });

testRule(rule, {
  valid: [
    { name: 'a retired selector still published', topology: rotated({ retired: '2026-01-10' }), files: dkimFiles() },
    {
      name: 'removed a week after it retired',
      topology: rotated({ retired: '2026-01-10', removed: '2026-01-17' }),
      files: dkimFiles(),
    },
    {
      name: 'removed after exactly the longest queue lifetime (a backup keeps mail 7d)',
      topology: rotated({ retired: '2026-01-10', removed: '2026-01-17' }),
      files: dkimFiles(),
    },
  ],
  invalid: [
    {
      name: 'removed two days after it retired, with a 5-day queue',
      topology: rotated({ retired: '2026-01-10', removed: '2026-01-12' }),
      files: dkimFiles(),
      errors: [{ messageId: 'early', path: '/domains/acme.example/dkim/1/removed' }],
    },
    {
      name: 'removed within the 7 days a backup queues mail',
      topology: dkimTopology((t) => {
        t.hosts.backup.queue = { lifetime: '7d' };
        t.domains['acme.example'].dkim = [
          { selector: 's2026', algorithm: 'rsa-2048', key: 'keys/acme.example.pem' },
          { selector: 's2025', algorithm: 'rsa-2048', key: 'keys/x.pem', retired: '2026-01-10', removed: '2026-01-16' },
        ];
      }),
      files: dkimFiles(),
      errors: [{ messageId: 'early' }],
    },
    {
      name: 'removed before it retired',
      topology: rotated({ retired: '2026-01-10', removed: '2026-01-09' }),
      files: dkimFiles(),
      errors: [{ messageId: 'early' }],
    },
    {
      name: 'removed, never retired',
      topology: rotated({ removed: '2026-01-09' }),
      files: dkimFiles(),
      errors: [{ messageId: 'notRetired', path: '/domains/acme.example/dkim/1/removed' }],
    },
    {
      name: 'a day that does not exist',
      topology: rotated({ retired: '2026-02-30' }),
      files: dkimFiles(),
      errors: [{ messageId: 'notADay', path: '/domains/acme.example/dkim/1/retired' }],
    },
  ],
});
