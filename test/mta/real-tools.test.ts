/**
 * Postfix's and Dovecot's own checks on the generated files, for every host of both examples and
 * of the mixed plan: `postconf -n` warns of nothing (an unknown or misspelt parameter would be an
 * "unused parameter" warning), `postfix check` is clean, `doveconf -n` is clean. Then what they say
 * the configuration is: no daemon chrooted, Dovecot's limits the plan's, Dovecot listening where
 * Postfix delivers.
 *
 * The files are generated with test paths (support/postfix-tools.ts), as the lab will run them:
 * the only difference from production (test/mta/mta-dir.test.ts holds that to be so).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TARGETS } from '../../src/mta/readme.js';
import type { Plan } from '../../src/topology/types.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { haveMtaTools, postconfValues, postfixCheck, preparePostfixState, run } from './support/postfix-tools.js';
import { generateUnder, PLANS } from './support/plans.js';

afterAll(removeTempDirs);

describe.runIf(haveMtaTools())('the installed Postfix and Dovecot', () => {
  it('are the versions the output says it was checked with', async () => {
    const postfix = await run('postconf', ['-d', '-h', 'mail_version']);
    const dovecot = await run('doveconf', ['-c', '/dev/null', '-n']);
    expect(postfix.stdout.trim()).toMatch(new RegExp(`^${TARGETS.postfix.replace('.', '\\.')}\\.`));
    expect(/^# (\d+\.\d+)\./.exec(dovecot.stdout)?.[1]).toBe(TARGETS.dovecot);
  });
});

describe.each(PLANS)('%s: every host passes Postfix and Dovecot', (_name, load) => {
  let plan: Plan;
  let out: string;
  let paths: Awaited<ReturnType<typeof generateUnder>>['paths'];

  it.runIf(haveMtaTools())(
    'postconf -n, postfix check and doveconf -n are clean',
    async () => {
      plan = await load();
      ({ out, paths } = await generateUnder(plan, await tempDir('mta-tools')));
      for (const host of plan.hosts.values()) {
        const postfix = join(out, host.id, 'postfix');
        const postconf = await run('postconf', ['-c', postfix, '-n']);
        expect({ code: postconf.code, stderr: postconf.stderr }, `${host.id}: postconf -n`).toEqual({
          code: 0,
          stderr: '',
        });

        await preparePostfixState(paths(host));
        const check = await postfixCheck(postfix, host);
        expect({ code: check.code, output: check.stdout + check.stderr }, `${host.id}: postfix check`).toEqual({
          code: 0,
          output: '',
        });

        if (host.role === 'relay') continue;
        const doveconf = await run('doveconf', ['-c', join(out, host.id, 'dovecot', 'dovecot.conf'), '-n']);
        expect({ code: doveconf.code, stderr: doveconf.stderr }, `${host.id}: doveconf -n`).toEqual({
          code: 0,
          stderr: '',
        });
      }
    },
    300_000,
  );

  it.runIf(haveMtaTools())(
    'say no daemon is chrooted, the limits are the plan’s, and LMTP meets',
    async () => {
      for (const host of plan.hosts.values()) {
        const postfix = join(out, host.id, 'postfix');
        // postconf -M: the services as Postfix reads master.cf; the fifth field is chroot.
        const services = (await run('postconf', ['-c', postfix, '-M'])).stdout.split('\n').filter(Boolean);
        expect(services.length, host.id).toBeGreaterThan(10);
        expect(
          services.filter((s) => s.split(/\s+/)[4] !== 'n'),
          `${host.id}: chrooted services`,
        ).toEqual([]);

        const main = await postconfValues(postfix, [
          'myhostname',
          'hopcount_limit',
          'maximal_queue_lifetime',
          'bounce_queue_lifetime',
          'queue_directory',
          'virtual_transport',
        ]);
        const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
        const seconds = (t: string) => Number(/^(\d+)[smhdw]$/.exec(t)?.[1]) * units[t.slice(-1)]!;
        expect(main.get('myhostname')).toBe(host.fqdn);
        expect(Number(main.get('hopcount_limit'))).toBe(plan.hopLimit);
        expect(seconds(main.get('maximal_queue_lifetime')!)).toBe(host.queueLifetime);
        expect(seconds(main.get('bounce_queue_lifetime')!)).toBe(host.queueLifetime);
        if (host.role === 'relay') continue;

        const conf = join(out, host.id, 'dovecot', 'dovecot.conf');
        const setting = async (name: string) => (await run('doveconf', ['-c', conf, '-h', name])).stdout.trim();
        // The planned connections; with none planned, Dovecot's own default stands.
        const changed = (await run('doveconf', ['-c', conf, '-n'])).stdout;
        for (const service of ['imap', 'pop3']) {
          const limit = host.limits.connections;
          if (limit === undefined)
            expect(changed, host.id).not.toMatch(new RegExp(`service ${service} \\{[^}]*process_limit`));
          else expect(Number(await setting(`service/${service}/process_limit`)), `${host.id} ${service}`).toBe(limit);
        }
        // Postfix's lmtp:unix:private/... is relative to its queue directory: Dovecot must listen right there.
        const socket = /^lmtp:unix:(.+)$/.exec(main.get('virtual_transport')!)![1]!;
        const lmtp = (await run('doveconf', ['-c', conf, 'service/lmtp'])).stdout;
        expect(lmtp).toContain(`unix_listener ${main.get('queue_directory')}/${socket} {`);
        expect(await setting('mail_location')).toBe(`maildir:${paths(host).mailRoot}/%d/%n`);
      }
    },
    300_000,
  );
});
