import rule from '../../../src/lint/rules/dmarc-published.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan (the null MX domain sends nothing)', topology: topology() },
    {
      name: 'a receiving domain that sends nothing (senders: [])',
      topology: topology(
        (t) =>
          (t.domains['info.example'] = {
            mx: [
              { host: 'store1', preference: 10 },
              { host: 'backup', preference: 20 },
            ],
            senders: [],
          }),
      ),
    },
  ],
  invalid: [
    {
      name: 'a sending domain without DMARC',
      topology: topology((t) => delete t.domains['globex.example'].dmarc),
      errors: [{ messageId: 'missing', path: '/domains/globex.example' }],
    },
  ],
});
