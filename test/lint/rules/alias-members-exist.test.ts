import rule from '../../../src/lint/rules/alias-members-exist.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (a member in another planned domain)', topology: topology() },
    {
      name: 'a member outside the planned domains',
      topology: topology((t) => t.domains['acme.example'].aliases.sales.push('partner@example.net')),
    },
    {
      name: 'an alias as a member',
      topology: topology((t) => (t.domains['acme.example'].aliases.all = ['sales', 'postmaster'])),
    },
  ],
  invalid: [
    {
      name: 'a misspelt local member',
      topology: topology((t) => t.domains['acme.example'].aliases.sales.push('alcie')),
      errors: [{ messageId: 'unknown', path: '/domains/acme.example/aliases/sales/3' }],
    },
    {
      name: 'an unknown member in another planned domain',
      topology: topology((t) => (t.domains['globex.example'].aliases.abuse = ['carol', 'dave@acme.example'])),
      errors: [{ messageId: 'unknown', path: '/domains/globex.example/aliases/abuse/1' }],
    },
    {
      name: 'a member in the null MX domain',
      topology: topology((t) => (t.domains['acme.example'].aliases.abuse = ['alice', 'info@parked.example'])),
      errors: [{ messageId: 'nullMx', path: '/domains/acme.example/aliases/abuse/1' }],
    },
    {
      name: 'an alias without members',
      topology: topology((t) => (t.domains['acme.example'].aliases.empty = [])),
      errors: [{ messageId: 'empty', path: '/domains/acme.example/aliases/empty' }],
    },
    {
      name: 'members in zones the plan serves but with no mail domain there',
      topology: topology(
        (t) => (t.domains['acme.example'].aliases.sales = ['alice', 'carol@mail.acme.example', 'noc@infra.example']),
      ),
      errors: [
        { messageId: 'unrouted', path: '/domains/acme.example/aliases/sales/1' },
        { messageId: 'unrouted', path: '/domains/acme.example/aliases/sales/2' },
      ],
    },
  ],
});
