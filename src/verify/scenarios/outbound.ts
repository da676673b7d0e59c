/**
 * Scenario 7: every domain's mail authenticates at a receiver outside the plan. For every domain
 * and every host its mail leaves from, one of the domain's users submits a message there (the
 * contract's `submit`, as sendmail(1)) to verify's receiver (receiver.ts), whose domain is served
 * only by the running plan's DNS, under a name reserved for testing (RFC 2606 `.test`). And every
 * host sends the receiver a DSN, for a message to an address the receiver refuses. The receiver
 * judges SPF, DKIM and DMARC with mailauth, from the planned address the host really connected
 * from. What must pass comes from the plan (expect-auth.ts): DMARC for every domain with a
 * policy, SPF where the plan's SPF lists the host, DKIM for every selector it signs with. Runs on
 * a running plan of its own, which serves the receiver's domain.
 */
import type { AuthenticateResult } from 'mailauth';
import { inParallel } from '../../parallel.js';
import type { Host, Plan } from '../../topology/types.js';
import type { Scenario } from '../context.js';
import {
  expectAuthentication,
  expectDsnAuthentication,
  hostWithAddress,
  type AuthExpectation,
} from '../expect-auth.js';
import { newProbe, probeMessage } from '../probes.js';
import { REFUSED_PREFIX, startReceiver, type ReceivedMessage } from '../receiver.js';

export const outboundScenario: Scenario = {
  name: 'outbound',
  title: "each domain's mail passes SPF, DKIM and DMARC at a receiver outside the plan",
  isolated: true,
  async run(context) {
    const { plan } = context;
    const domain = receiverDomain(plan);
    const jobs = [...submissions(plan, domain), ...bounces(plan, domain)];
    if (jobs.length === 0) {
      context.report({ name: 'outbound', status: 'skip', note: 'the plan has no host' });
      return;
    }
    await using receiver = await startReceiver(domain);
    await using isolated = await context.isolated({ outside: [{ domain, endpoint: receiver.endpoint }] });
    if (!isolated.engine.outside.some((o) => o.domain === domain)) {
      context.report({
        name: 'outbound',
        status: 'skip',
        note: `${isolated.engine.name} takes no mail for a domain outside the plan yet: outbound is proven where it does (the loopback sandbox)`,
      });
      return;
    }
    receiver.attach(isolated.engine);

    const sent = await inParallel(jobs, 16, async (job) => {
      const token = newProbe();
      const message = probeMessage(token, job.from, job.to, `verify outbound from ${job.host.id}`);
      try {
        await isolated.engine.submit(job.host.id, { from: job.from, to: [job.to] }, Buffer.from(message));
        return { job, token, error: undefined };
      } catch (error) {
        return { job, token, error: (error as Error).message };
      }
    });
    await receiver.waitFor(
      sent.filter((s) => !s.error).map((s) => s.token),
      context.patience,
      isolated.retry,
    );
    const arrived = new Map(receiver.received.map((m) => [`${m.dsn} ${m.token}`, m]));
    for (const { job, token, error } of sent) {
      if (error) {
        context.report({ name: job.name, status: 'fail', expected: 'taken by the host', observed: error });
        continue;
      }
      const got = arrived.get(`${job.dsn} ${token}`);
      if (!got) {
        const word = context.lastWord(job.dsn ? job.from : job.to);
        context.report({
          name: job.name,
          status: 'fail',
          expected: `${job.dsn ? 'a DSN' : 'the message'} at ${domain}`,
          observed: `nothing arrived within ${context.patience / 1000} s${word ? `; ${word}` : ''}`,
        });
        continue;
      }
      context.report({ name: job.name, ...judgeAuthentication(plan, job, got) });
    }
  },
};

/** One message to send, and what the receiver must find of it. */
interface Job {
  readonly name: string;
  readonly host: Host;
  readonly from: string;
  readonly to: string;
  /** A DSN comes back for it (the receiver refuses `to`), and is what is judged. */
  readonly dsn: boolean;
  readonly expect: (source: string | undefined) => AuthExpectation;
}

/** Every domain that sends, from every host its mail leaves from, as one of its users there. */
function submissions(plan: Plan, receiver: string): Job[] {
  const jobs: Job[] = [];
  for (const domain of plan.domains.values()) {
    if (domain.nullMx) continue;
    const users = [...domain.users.values()].sort((a, b) => a.address.localeCompare(b.address));
    const fallback = users[0]?.address ?? [...domain.aliases.values()][0]?.address ?? `postmaster@${domain.name}`;
    for (const host of domain.outbound) {
      const from = users.find((u) => u.homeId === host.id)?.address ?? fallback;
      jobs.push({
        name: `${domain.name} from ${host.id} (${from})`,
        host,
        from,
        // One recipient per message, so that what a host last said about it is its own.
        to: `outbound-${jobs.length + 1}@${receiver}`,
        dsn: false,
        expect: (source) => expectAuthentication(domain, host, source),
      });
    }
  }
  return jobs;
}

/**
 * A DSN from every host: a message from an address at the receiver to one it refuses, so the
 * host that tried to deliver it returns it (RFC 3464), from the null reverse-path.
 */
function bounces(plan: Plan, receiver: string): Job[] {
  return [...plan.hosts.values()].map((host, i) => ({
    name: `DSN from ${host.id} (MAILER-DAEMON@${host.fqdn})`,
    host,
    from: `returned-${i + 1}@${receiver}`,
    to: `${REFUSED_PREFIX}${i + 1}@${receiver}`,
    dsn: true,
    expect: (source: string | undefined) => expectDsnAuthentication(plan, host, source),
  }));
}

/** `receiver.test`, or the first `receiver-N.test` no zone of the plan holds. */
function receiverDomain(plan: Plan): string {
  const zones = [...plan.domains.keys(), ...plan.zones.map((z) => z.name)];
  const free = (name: string) => !zones.some((z) => z === name || name.endsWith(`.${z}`) || z.endsWith(`.${name}`));
  for (let n = 1; ; n++) {
    const name = n === 1 ? 'receiver.test' : `receiver-${n}.test`;
    if (free(name)) return name;
  }
}

/**
 * The verdict on one message: what the receiver found against what the plan promises. A failure
 * names the mechanism and its cause in the plan's terms ("spf=fail: 192.0.2.11 (mail2) is not in
 * acme.example's SPF"; "dkim=none: mail2 does not sign for globex.example").
 */
export function judgeAuthentication(
  plan: Plan,
  { host, expect }: Pick<Job, 'host' | 'expect'>,
  got: Pick<ReceivedMessage, 'source' | 'auth'>,
): { status: 'pass' | 'fail'; expected?: string; observed?: string; note?: string } {
  const expectation = expect(got.source);
  const { spfDomain, dkimDomain } = expectation;
  const seen = results(got.auth);
  const from = got.source
    ? `${got.source} (${hostWithAddress(plan.hosts.values(), got.source)?.id ?? 'no planned host'})`
    : 'an address the engine could not name';

  const spfFailure =
    seen.spf === 'pass'
      ? undefined
      : expectation.spf === false
        ? `spf=${seen.spf}: ${from} is not in ${spfDomain}'s SPF`
        : `spf=${seen.spf}: ${from}${expectation.spf ? ` is in ${spfDomain}'s SPF, yet` : ':'} ${seen.spfComment}`;
  const dkimFailures = expectation.dkim.flatMap((selector) => {
    const r = seen.dkim.find((d) => d.selector === selector && d.domain === dkimDomain);
    if (r?.result === 'pass') return [];
    return [
      `dkim=${r?.result ?? 'none'}: ${selector}._domainkey.${dkimDomain} ${r ? `failed: ${r.info}` : 'signed nothing'}`,
    ];
  });
  const alignedDkim = seen.dkim.some((d) => d.result === 'pass' && d.domain === dkimDomain);
  const dkimCauses =
    expectation.dkim.length > 0 || alignedDkim
      ? dkimFailures
      : [`dkim=${seen.dkim[0]?.result ?? 'none'}: ${host.id} does not sign for ${dkimDomain}`];

  const problems: string[] = [];
  if (expectation.dmarc !== undefined && seen.dmarc !== 'pass') {
    const causes = [...(spfFailure ? [spfFailure] : []), ...dkimCauses];
    problems.push(`dmarc=${seen.dmarc} (p=${expectation.dmarc})${causes.length > 0 ? `: ${causes.join('; ')}` : ''}`);
  } else {
    if (expectation.spf === true && spfFailure) problems.push(spfFailure);
    problems.push(...dkimFailures);
  }
  const dkimSeen = seen.dkim.map((d) => `${d.result} (${d.selector})`).join(', ') || 'none';
  if (problems.length === 0)
    return { status: 'pass', note: `spf=${seen.spf} dkim=${dkimSeen} dmarc=${seen.dmarc}, from ${from}` };
  return { status: 'fail', expected: expectedText(expectation), observed: problems.join('; ') };
}

function expectedText(e: AuthExpectation): string {
  return [
    ...(e.dmarc !== undefined ? ['dmarc=pass'] : []),
    ...(e.spf ? ['spf=pass'] : []),
    ...e.dkim.map((s) => `dkim=pass (${s})`),
  ].join(', ');
}

/** mailauth's verdicts, flattened. */
function results(auth: AuthenticateResult): {
  spf: string;
  spfComment: string;
  dkim: { result: string; selector: string; domain: string; info: string }[];
  dmarc: string;
} {
  return {
    spf: auth.spf ? auth.spf.status.result : 'none',
    spfComment: auth.spf ? (auth.spf.status.comment ?? auth.spf.info) : 'no SPF result',
    dkim: auth.dkim.results.map((r) => ({
      result: r.status.result,
      selector: r.selector ?? '',
      domain: r.signingDomain ?? '',
      info: r.status.comment ?? r.info,
    })),
    dmarc: auth.dmarc ? auth.dmarc.status.result : 'none',
  };
}
