import rule from '../../../src/lint/rules/alias-acyclic.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'a diamond of aliases (two paths to one alias, no cycle)',
      topology: topology((t) => {
        Object.assign(t.domains['acme.example'].aliases, {
          all: ['team-a', 'team-b'],
          'team-a': ['staff'],
          'team-b': ['staff'],
          staff: ['alice', 'bob'],
        });
      }),
    },
  ],
  invalid: [
    {
      name: 'an alias that names itself',
      topology: topology((t) => t.domains['acme.example'].aliases.sales.push('sales')),
      errors: [{ messageId: 'cycle', path: '/domains/acme.example/aliases/sales' }],
    },
    {
      name: 'a cycle across two domains',
      topology: topology((t) => {
        t.domains['acme.example'].aliases.sales = ['alice', 'info@globex.example'];
        t.domains['globex.example'].aliases.info = ['carol', 'sales@acme.example'];
      }),
      errors: [{ messageId: 'cycle', path: '/domains/acme.example/aliases/sales' }],
    },
    {
      name: 'two separate cycles',
      topology: topology((t) => {
        Object.assign(t.domains['acme.example'].aliases, { a: ['b'], b: ['c'], c: ['a'], x: ['y'], y: ['x'] });
      }),
      errors: [
        { messageId: 'cycle', path: '/domains/acme.example/aliases/a' },
        { messageId: 'cycle', path: '/domains/acme.example/aliases/x' },
      ],
    },
  ],
});
