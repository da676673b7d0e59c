/**
 * Postfix, asked about every address (postmap -q on the generated tables, postconf -x for the
 * parameters), decides at every host what mxplan's routing decides there: refused at RCPT with
 * the same code and enhanced code, or accepted and each final address delivered here, forwarded
 * to the same host, relayed through the MX, or bounced with the same status. The same holds for
 * mail a store makes itself (an alias member, a local submission), which no RCPT check meets. An
 * address Postfix delivers here is a mailbox of Dovecot's userdb on that host, and no other is.
 *
 * A relay-only host makes no mail but DSNs, and hands those, like everything else, to the MX
 * (no transport map, the policy says), where an unknown planned address is refused; mxplan's relay
 * refuses it at once. The end is the same bounce, so its own mail is left out of the table.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostPolicy } from '../../src/routing/policy.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { postfixAnswers } from './support/postfix-answers.js';
import { haveMtaTools } from './support/postfix-tools.js';
import { generateUnder, PLANS } from './support/plans.js';
import { addressesToTry, routingAnswers } from './support/routing-answers.js';

afterAll(removeTempDirs);

/** The mailboxes of a Dovecot passwd-file userdb: the first field of every line that is not a comment. */
async function userdbOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.slice(0, l.indexOf(':')))
    .sort();
}

describe.each(PLANS)('%s: Postfix decides what the routing decides', (_name, load) => {
  it.runIf(haveMtaTools())(
    'at every host, for every address',
    async () => {
      const plan = await load();
      const root = await tempDir('mta-table');
      const { out } = await generateUnder(plan, root);
      const addresses = addressesToTry(plan);
      for (const host of plan.hosts.values()) {
        const dir = join(out, host.id, 'postfix');
        const got = await postfixAnswers(plan, host, dir, addresses, join(root, 'postmap', host.id));
        if (process.env.MTA_TABLE_DUMP) console.log(host.id, got);
        expect(Object.fromEntries(got), host.id).toEqual(Object.fromEntries(routingAnswers(plan, host.id, addresses)));

        // What Postfix hands to Dovecot is exactly what Dovecot stores here.
        const local = [...got.values()].flatMap((a) => a.split('; ')).filter((f) => f.endsWith(' local'));
        const delivered = [...new Set(local.map((f) => f.slice(0, f.indexOf(' '))))].sort();
        if (host.role === 'store') {
          const own = await postfixAnswers(
            plan,
            host,
            dir,
            addresses,
            join(root, 'postmap', `${host.id}-own`),
            'internal',
          );
          expect(Object.fromEntries(own), `${host.id}, its own mail`).toEqual(
            Object.fromEntries(routingAnswers(plan, host.id, addresses, 'internal')),
          );
        }

        const stored = [...hostPolicy(plan, host.id).storedUsers()].map((u) => u.address).sort();
        expect(delivered, `${host.id}: delivered here`).toEqual(stored);
        expect(await userdbOf(join(out, host.id, 'dovecot', 'users')), `${host.id}: Dovecot's userdb`).toEqual(stored);
      }
    },
    600_000,
  );
});
