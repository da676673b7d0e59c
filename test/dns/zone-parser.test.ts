import { describe, expect, it } from 'vitest';
import { recordLine } from '../../src/dns/presentation.js';
import { isModelRecord } from '../../src/dns/records.js';
import { parseZoneFile } from '../../src/dns/zone-parser.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { compiledRecords } from './zone-tools.js';
import { requireTool } from '../helpers/tools.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { sortRecords } from '../../src/dns/order.js';

afterAll(removeTempDirs);

/** A zone written the way people write them, not the way mxplan does. */
const HAND_WRITTEN = [
  '$TTL 1h',
  '@ IN SOA ns1.example.org. first\\.last.example.org. ( 2024010101 ; serial',
  '        2h   ; refresh',
  '        30m  ; retry',
  '        2w   ; expire',
  '        300 ) ; minimum',
  '  NS ns1.example.org.',
  '  IN 600 MX 10 mail ; relative exchange',
  '  600 IN MX 20 backup.example.net.',
  '  TXT ( "v=spf1 ip4:192.0.2.10"',
  '        " -all" )',
  'mail A 192.0.2.10',
  '     AAAA 2001:DB8:0:0::10',
  '$ORIGIN sub.example.com.',
  'www CNAME @',
  '_dmarc TXT "v=DMARC1\\; p=reject" ; escaped semicolon',
  'caa 3600 CAA 0 issue "letsencrypt.org"',
  'quoted TXT "a \\"quote\\" and \\226\\130\\172"',
].join('\n');

describe('parseZoneFile', () => {
  it('reads $ORIGIN, $TTL with units, @, relative names, blank owners, parentheses and escapes', () => {
    const zone = parseZoneFile(HAND_WRITTEN, 'example.com.zone', { origin: 'example.com' });
    expect(zone.origin).toBe('example.com');
    expect(zone.givenOriginUsed).toBe(true);
    expect(zone.records.map((r) => (isModelRecord(r.record) ? recordLine(r.record) : r.record))).toEqual([
      'example.com. 3600 IN SOA ns1.example.org. first\\.last.example.org. 2024010101 7200 1800 1209600 300',
      'example.com. 3600 IN NS ns1.example.org.',
      'example.com. 600 IN MX 10 mail.example.com.',
      'example.com. 600 IN MX 20 backup.example.net.',
      'example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.10" " -all"',
      'mail.example.com. 3600 IN A 192.0.2.10',
      'mail.example.com. 3600 IN AAAA 2001:db8::10',
      'www.sub.example.com. 3600 IN CNAME sub.example.com.',
      '_dmarc.sub.example.com. 3600 IN TXT "v=DMARC1; p=reject"',
      { name: 'caa.sub.example.com', type: 'CAA', ttl: 3600, data: '0 issue "letsencrypt.org"' },
      'quoted.sub.example.com. 3600 IN TXT "a \\"quote\\" and \\226\\130\\172"',
    ]);
    expect(zone.records.map((r) => r.line)).toEqual([2, 7, 8, 9, 10, 12, 13, 15, 16, 17, 18]);
  });

  it.runIf(requireTool('named-compilezone'))('reads what BIND reads from the same text', async () => {
    const text = HAND_WRITTEN.split('\n')
      .filter((line) => !line.startsWith('caa')) // a type the test's reader of BIND's dump does not know
      .join('\n');
    const dir = await tempDir('zone-parser');
    const file = join(dir, 'example.com.zone');
    await writeFile(file, `${text}\n`);
    const ours = parseZoneFile(text, file, { origin: 'example.com' }).records.map((r) => r.record);
    const bind = await compiledRecords('example.com', file);
    expect(sortRecords(ours.filter(isModelRecord)).map(recordLine)).toEqual(sortRecords(bind).map(recordLine));
  });

  it.each([
    ['relative names without an origin', 'www A 192.0.2.1', /zone:1:1: relative name "www" with no origin/],
    ['a bad address', '$ORIGIN x.\n@ 60 A 192.0.2.300', /zone:2:8: "192\.0\.2\.300" is not an IPv4 address/],
    ['a record without TTL', '$ORIGIN x.\n@ A 192.0.2.1', /zone:2:3: the record has no TTL and no \$TTL is in force/],
    ['an open parenthesis', '$ORIGIN x.\n@ 60 TXT ( "a"', /"\(" is not closed by the end of the file/],
    ['an open quote', '$ORIGIN x.\n@ 60 TXT "a', /zone:2:10: a quoted string is not closed/],
    ['$INCLUDE', '$INCLUDE other.zone', /zone:1:1: \$INCLUDE is not supported/],
    ['a class other than IN', '$ORIGIN x.\n@ 60 CH TXT "a"', /class CH is not IN/],
    ['an MX without exchange', '$ORIGIN x.\n@ 60 MX 10', /MX takes 2 fields of data, not 1/],
    ['a blank owner first', '$ORIGIN x.\n  60 A 192.0.2.1', /the first record has no owner name/],
  ])('stops at %s, with file, line and column', (_, text, message) => {
    expect(() => parseZoneFile(text, 'zone')).toThrow(message);
  });
});
