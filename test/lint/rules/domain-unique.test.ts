import { describe, expect, it } from 'vitest';
import { lint } from '../../../src/lint/run.js';
import rule from '../../../src/lint/rules/domain-unique.js';
import { testRule } from '../../helpers/rule-tester.js';
import { planOf, topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a subdomain is another domain',
      topology: topology((t) => (t.domains['eu.acme.example'] = { mx: null })),
    },
  ],
  invalid: [
    {
      name: 'two blocks that differ only in letter case',
      topology: topology(
        (t) => (t.domains['ACME.example'] = { mx: [{ host: 'store1', preference: 10 }], users: { dave: 'store1' } }),
      ),
      errors: [{ messageId: 'repeated', path: '/domains/ACME.example' }],
    },
    {
      name: 'an IDN domain written as U-label and as A-label',
      topology: topology((t) => {
        t.domains['bücher.example'] = { mx: null };
        t.domains['xn--bcher-kva.example.'] = { mx: null };
      }),
      errors: [{ messageId: 'repeated', path: '/domains/xn--bcher-kva.example.' }],
    },
  ],
});

describe('what the ignored block loses', () => {
  it.each([
    [{ dave: 'store1' }, 'and its 1 address is not planned'],
    [{ dave: 'store1', erin: 'store1' }, 'and its 2 addresses are not planned'],
  ])('%j: %s', async (users, says) => {
    const plan = await planOf(
      topology((t) => (t.domains['ACME.example'] = { mx: [{ host: 'store1', preference: 10 }], users })),
    );
    const [finding] = lint(plan).filter((f) => f.rule === rule.meta.id);
    expect(finding!.message).toMatch(new RegExp(`so this block is ignored ${says}$`));
  });
});
