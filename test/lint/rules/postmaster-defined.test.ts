import rule from '../../../src/lint/rules/postmaster-defined.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (the null MX domain needs none)', topology: topology() },
    {
      name: 'postmaster as a user, written in capitals',
      topology: topology((t) => {
        delete t.domains['globex.example'].aliases.postmaster;
        t.domains['globex.example'].users.PostMaster = 'store2';
      }),
    },
  ],
  invalid: [
    {
      name: 'no postmaster',
      topology: topology((t) => delete t.domains['acme.example'].aliases.postmaster),
      errors: [{ messageId: 'missing', path: '/domains/acme.example' }],
    },
    {
      name: 'a domain relying on the implicit MX still receives',
      topology: topology((t) => (t.domains['new.example'] = { users: { admin: 'store1' } })),
      errors: [{ messageId: 'missing', path: '/domains/new.example' }],
    },
  ],
});
