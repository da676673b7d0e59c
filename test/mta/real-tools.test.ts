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
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileFor } from '../../src/mail/profiles.js';
import { TARGETS } from '../../src/mta/readme.js';
import { hostPolicy } from '../../src/routing/policy.js';
import { activeSelectors } from '../../src/topology/dkim.js';
import type { Plan } from '../../src/topology/types.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import {
  haveMtaTools,
  inHostNamespace,
  postconfValues,
  postfixCheck,
  postmapQueries,
  preparePostfixState,
  run,
  sh,
} from './support/postfix-tools.js';
import { generateUnder, PLANS } from './support/plans.js';
import { openPki } from '../../src/tls/pki.js';
import type { MtaPaths } from '../../src/mta/paths.js';
import type { Host } from '../../src/topology/types.js';

/** A throwaway certificate for the host at the paths its files name, from a CA beside them. */
async function installCertificate(host: Host, paths: MtaPaths): Promise<void> {
  const state = join(paths.tlsTrust, '..', '..');
  await openPki(state, [{ id: host.id, files: { key: paths.tlsKey, cert: paths.tlsChain }, names: [host.fqdn] }]);
}

afterAll(removeTempDirs);

describe.runIf(haveMtaTools())('the installed Postfix and Dovecot', () => {
  it('are the versions the output says it was checked with', async () => {
    const postfix = await run('postconf', ['-d', '-h', 'mail_version']);
    const dovecot = await run('doveconf', ['-c', '/dev/null', '-n']);
    const opendkim = await run('opendkim', ['-V']);
    expect(/OpenDKIM Filter v(\d+\.\d+)\./.exec(opendkim.stdout)?.[1]).toBe(TARGETS.opendkim);
    expect(opendkim.stdout).toMatch(/^\s+ed25519-sha256$/m);
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

        // bounce(8)'s templates as Postfix reads them (postconf -t): every report From the host's own name.
        const templates = await inHostNamespace(host, `postconf -c ${sh(postfix)} -t`);
        expect({ code: templates.code, stderr: templates.stderr }, `${host.id}: postconf -t`).toEqual({
          code: 0,
          stderr: '',
        });
        expect(templates.stdout.match(/^From: .*$/gm), `${host.id}: bounce templates`).toEqual(
          Array(4).fill(`From: Mail Delivery System <MAILER-DAEMON@${host.fqdn}>`),
        );

        // OpenDKIM's own check of each instance (it opens the KeyTable, SigningTable and
        // InternalHosts it names): one per key type the host signs with, each signing with that
        // type's algorithm and holding that type's selectors only (one instance, one algorithm).
        const dkimDir = join(out, host.id, 'opendkim');
        const confs = existsSync(dkimDir) ? (await readdir(dkimDir)).filter((f) => /^opendkim.*\.conf$/.test(f)) : [];
        const selectors = [...plan.domains.values()].flatMap((d) => activeSelectors(d, host.id));
        const algorithms: string[] = [];
        for (const conf of confs) {
          const opendkim = await run('opendkim', ['-n', '-x', join(dkimDir, conf)]);
          expect(
            { code: opendkim.code, output: opendkim.stdout + opendkim.stderr },
            `${host.id}: opendkim -n ${conf}`,
          ).toEqual({
            code: 0,
            output: '',
          });
          const text = await readFile(join(dkimDir, conf), 'utf8');
          const algorithm = /^SignatureAlgorithm (\S+)$/m.exec(text)?.[1];
          algorithms.push(algorithm ?? '');
          const keyTable = /^KeyTable file:(\S+)$/m.exec(text)![1]!;
          const keys = (await readFile(keyTable, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
          expect(keys.map((l) => l.split(' ')[0]).sort(), `${host.id}: ${conf} KeyTable`).toEqual(
            selectors
              .filter((s) => `${s.type}-sha256` === algorithm)
              .map((s) => `${s.selector.toLowerCase()}._domainkey.${s.domain}`)
              .sort(),
          );
        }
        expect(algorithms.sort(), host.id).toEqual([...new Set(selectors.map((s) => `${s.type}-sha256`))].sort());

        if (host.role === 'relay') continue;
        const conf = join(out, host.id, 'dovecot', 'dovecot.conf');
        const doveconf = await run('doveconf', ['-c', conf, '-n']);
        expect({ code: doveconf.code, stderr: doveconf.stderr }, `${host.id}: doveconf -n`).toEqual({
          code: 0,
          stderr: '',
        });
        // Dovecot reads ssl_cert and ssl_key (`<file`) as it loads the configuration (-x): before
        // the operator installs them (README.md) it names the missing file; after, it is clean.
        const tls = paths(host);
        const missing = await run('doveconf', ['-c', conf, '-x', '-n']);
        expect(missing.code, `${host.id}: doveconf -x without the certificate`).not.toBe(0);
        expect(missing.stderr).toContain(`Can't open file ${tls.tlsChain}`);
        await installCertificate(host, tls);
        const present = await run('doveconf', ['-c', conf, '-x', '-n']);
        expect({ code: present.code, stderr: present.stderr }, `${host.id}: doveconf -x -n`).toEqual({
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

        // The relays' session limits and deadlines (routing/policy.ts, mail/profiles.ts), as Postfix reads them.
        const smtpd = services.find((s) => /^smtp\s+inet\s/.test(s))!.split(/\s+/);
        expect(Number(smtpd[6]), `${host.id}: smtpd maxproc`).toBe(host.smtp.sessions);
        const profile = profileFor('default', host);
        const limits = await postconfValues(postfix, [
          'smtpd_client_connection_count_limit',
          'smtpd_client_event_limit_exceptions',
          'smtpd_timeout',
          'smtpd_per_request_deadline',
          'smtpd_min_data_rate',
          'smtputf8_enable',
          'myorigin',
          'smtpd_milters',
          'non_smtpd_milters',
          'internal_mail_filter_classes',
          'milter_default_action',
        ]);
        expect(Number(limits.get('smtpd_client_connection_count_limit'))).toBe(host.smtp.sessionsPerClient);
        expect(limits.get('smtpd_client_event_limit_exceptions')).toBe('');
        expect(seconds(limits.get('smtpd_timeout')!) * 1000).toBe(profile.commandDeadline);
        expect(limits.get('smtpd_per_request_deadline')).toBe('yes');
        expect(Number(limits.get('smtpd_min_data_rate'))).toBe(profile.minDataRate);
        expect(limits.get('smtputf8_enable')).toBe('yes');
        expect(limits.get('myorigin')).toBe(hostPolicy(plan, host.id).postmasterDomain ?? host.fqdn);

        // A host that signs for some domain hands its own mail and its bounces to each of its
        // OpenDKIM instances, RSA first, over the socket each opendkim*.conf listens on; one that
        // signs nothing has no milter.
        const selectors = [...plan.domains.values()].flatMap((d) => activeSelectors(d, host.id));
        const signs = selectors.length > 0;
        const dkimDir = join(out, host.id, 'opendkim');
        expect(existsSync(join(dkimDir, 'InternalHosts')), `${host.id}: opendkim/`).toBe(signs);
        if (signs) {
          const listening = new Map<string, string>();
          for (const conf of (await readdir(dkimDir)).filter((f) => /^opendkim.*\.conf$/.test(f))) {
            const text = await readFile(join(dkimDir, conf), 'utf8');
            listening.set(/^Socket local:(\S+)$/m.exec(text)![1]!, /^SignatureAlgorithm (\S+)$/m.exec(text)![1]!);
          }
          const milters = limits
            .get('smtpd_milters')!
            .split(/[\s,]+/)
            .map((m) => /^unix:(.+)$/.exec(m)![1]!);
          expect(
            milters.map((m) => listening.get(`${main.get('queue_directory')}/${m}`)),
            `${host.id}: smtpd_milters`,
          ).toEqual(['rsa', 'ed25519'].filter((t) => selectors.some((s) => s.type === t)).map((t) => `${t}-sha256`));
        } else expect(limits.get('smtpd_milters')).toBe('');

        // TLS as Postfix reads it: STARTTLS offered with the README's key and chain, opportunistic
        // as a client, and `secure` towards exactly the plan's domains with MTA-STS enforce, each
        // MX of such a domain among the names its certificate must carry.
        const tls = await postconfValues(postfix, [
          'smtpd_tls_chain_files',
          'smtpd_tls_security_level',
          'smtpd_tls_auth_only',
          'smtp_tls_security_level',
          'smtp_tls_CAfile',
          'smtp_tls_policy_maps',
        ]);
        const hostPaths = paths(host);
        expect(Object.fromEntries(tls), host.id).toEqual({
          smtpd_tls_chain_files: `${hostPaths.tlsKey}, ${hostPaths.tlsChain}`,
          smtpd_tls_security_level: 'may',
          smtpd_tls_auth_only: 'yes',
          smtp_tls_security_level: 'may',
          smtp_tls_CAfile: hostPaths.tlsTrust,
          smtp_tls_policy_maps: `texthash:${postfix}/tls_policy`,
        });
        const domains = [...plan.domains.values()];
        const found = await postmapQueries(
          postfix,
          host,
          join(out, '..', 'postmap', host.id),
          new Map([[tls.get('smtp_tls_policy_maps')!, domains.map((d) => d.name)]]),
        );
        const policies = found.get(tls.get('smtp_tls_policy_maps')!)!;
        const enforced = domains.filter((d) => d.mtaSts?.mode === 'enforce');
        expect([...policies.keys()].sort(), host.id).toEqual(enforced.map((d) => d.name).sort());
        for (const domain of enforced) {
          const value = policies.get(domain.name)!;
          expect(value, domain.name).toMatch(/^secure match=\S+ servername=hostname$/);
          const names = /match=(\S+)/.exec(value)![1]!.split(':');
          // Postfix's match: a name, or .domain for the names below it (TLS_README, "secure").
          for (const { exchange } of domain.mx)
            expect(
              names.some((n) => n === exchange || (n.startsWith('.') && exchange.endsWith(n))),
              `${domain.name}: ${exchange} in ${value}`,
            ).toBe(true);
        }
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
