import rule from '../../../src/lint/rules/address-syntax-valid.js';
import { testRule } from '../../helpers/rule-tester.js';
import { topology } from '../../helpers/topology.js';

testRule(rule, {
  valid: [
    { name: 'the base plan', topology: topology() },
    {
      name: 'dot-atom local parts with allowed specials',
      topology: topology((t) => {
        t.domains['acme.example'].users['first.last'] = 'store1';
        t.domains['acme.example'].aliases["o'brien+tag"] = ['first.last'];
      }),
    },
    {
      name: 'UTF-8 local parts in NFC (RFC 6532), an IDN domain in a member',
      topology: topology((t) => {
        t.domains['acme.example'].users['jürgen'] = 'store1';
        t.domains['acme.example'].aliases['δοκιμή'] = ['jürgen', 'jürgen@bücher.example'];
      }),
    },
  ],
  invalid: [
    {
      name: 'a user with a space in the local part',
      topology: topology((t) => (t.domains['acme.example'].users['alice smith'] = 'store1')),
      errors: [{ messageId: 'userLocal', path: '/domains/acme.example/users/alice smith' }],
    },
    {
      name: 'a CSV user with a double dot',
      topology: topology((t) => (t.domains['globex.example'].usersFile = 'globex.csv')),
      files: { 'globex.csv': 'local,host\ndave,store2\ner..in,store2\n' },
      errors: [{ messageId: 'userLocal', line: 3 }],
    },
    {
      name: 'an alias local part longer than 64 characters',
      topology: topology((t) => (t.domains['acme.example'].aliases['x'.repeat(65)] = ['alice'])),
      errors: [{ messageId: 'aliasLocal', path: `/domains/acme.example/aliases/${'x'.repeat(65)}` }],
    },
    {
      name: 'alias members with a bad domain and with no local part',
      topology: topology(
        (t) => (t.domains['acme.example'].aliases.sales = ['alice', 'carol@globex..example', '@globex.example']),
      ),
      errors: [
        { messageId: 'member', path: '/domains/acme.example/aliases/sales/1' },
        { messageId: 'member', path: '/domains/acme.example/aliases/sales/2' },
      ],
    },
    {
      name: 'an SOA contact without a domain',
      topology: topology((t) => (t.dns.soa.contact = 'hostmaster')),
      errors: [{ messageId: 'soaContact', path: '/dns/soa' }],
    },
    {
      name: 'local parts not in Unicode NFC (u + combining diaeresis), never normalised',
      topology: topology((t) => {
        t.domains['acme.example'].users['ju\u0308rgen'] = 'store1';
        t.domains['acme.example'].aliases.sales.push('ju\u0308rgen@globex.example');
      }),
      errors: [
        { messageId: 'userLocal', path: '/domains/acme.example/users/ju\u0308rgen' },
        { messageId: 'member', path: '/domains/acme.example/aliases/sales/3' },
      ],
    },
    {
      name: 'a UTF-8 local part in the SOA contact, which the RNAME label cannot carry',
      topology: topology((t) => (t.dns.soa.contact = 'jürgen@example.net')),
      errors: [{ messageId: 'soaContact', path: '/dns/soa' }],
    },
    {
      name: 'a local part of 64 characters that is 65 octets in UTF-8',
      topology: topology((t) => (t.domains['acme.example'].users[`ü${'x'.repeat(63)}`] = 'store1')),
      errors: [{ messageId: 'userLocal', path: `/domains/acme.example/users/ü${'x'.repeat(63)}` }],
    },
  ],
});
