/**
 * Scenario 7: every domain's mail authenticates at a receiver outside the plan. For every domain
 * and every host its mail leaves from, one of the domain's users submits a message there (the
 * contract's `submit`, as sendmail(1)) to verify's receiver (receiver.ts), whose domain is served
 * only by the running plan's DNS, under a name reserved for testing (RFC 2606 `.test`). The
 * receiver judges SPF, DKIM and DMARC with mailauth, from the planned address the host really
 * connected from. What must pass comes from the plan (expect-auth.ts): DMARC for every domain
 * with a policy, SPF where the domain's SPF lists the host, DKIM for every selector it signs with.
 * Runs on a running plan of its own, which serves the receiver's domain.
 */
import type { AuthenticateResult } from 'mailauth';
import { inParallel } from '../../parallel.js';
import type { Domain, Host, Plan } from '../../topology/types.js';
import type { Scenario } from '../context.js';
import { expectAuthentication, hostWithAddress, type AuthExpectation } from '../expect-auth.js';
import { newProbe, probeMessage } from '../probes.js';
import { startReceiver, type ReceivedMessage } from '../receiver.js';

export const outboundScenario: Scenario = {
  name: 'outbound',
  title: "each domain's mail passes SPF, DKIM and DMARC at a receiver outside the plan",
  isolated: true,
  async run(context) {
    const { plan } = context;
    const jobs = outboundJobs(plan);
    if (jobs.length === 0) {
      context.report({ name: 'outbound', status: 'skip', note: 'no domain sends mail from a planned host' });
      return;
    }
    await using receiver = await startReceiver(receiverDomain(plan));
    await using isolated = await context.isolated({
      outside: [{ domain: receiver.domain, endpoint: receiver.endpoint }],
    });
    receiver.attach(isolated.engine);

    const sent = await inParallel(jobs, 16, async (job) => {
      const token = newProbe();
      // One recipient per message, so what a host last said about it is its own.
      const to = `outbound-${jobs.indexOf(job) + 1}@${receiver.domain}`;
      const message = probeMessage(token, job.author, to, `verify outbound from ${job.host.id}`);
      try {
        await isolated.engine.submit(job.host.id, { from: job.author, to: [to] }, Buffer.from(message));
        return { ...job, token, to, error: undefined };
      } catch (error) {
        return { ...job, token, to, error: (error as Error).message };
      }
    });
    await receiver.waitFor(
      sent.filter((s) => !s.error).map((s) => s.token),
      context.patience,
      isolated.retry,
    );
    const byToken = new Map(receiver.received.map((m) => [m.token, m]));
    for (const s of sent) {
      const name = `${s.domain.name} from ${s.host.id} (${s.author})`;
      if (s.error) {
        context.report({ name, status: 'fail', expected: 'taken by the host', observed: s.error });
        continue;
      }
      const got = byToken.get(s.token);
      if (!got) {
        context.report({
          name,
          status: 'fail',
          expected: `delivered to ${receiver.domain}`,
          observed: `did not arrive within ${context.patience / 1000} s${
            context.lastWord(s.to) ? `; ${context.lastWord(s.to)}` : ''
          }`,
        });
        continue;
      }
      context.report({ name, ...judgeAuthentication(plan, s.domain, s.host, got) });
    }
  },
};

interface Job {
  readonly domain: Domain;
  readonly host: Host;
  /** A planned address of the domain: a user homed on the host where there is one. */
  readonly author: string;
}

/** Every domain that sends, from every host its mail leaves from, in plan order. */
function outboundJobs(plan: Plan): Job[] {
  const jobs: Job[] = [];
  for (const domain of plan.domains.values()) {
    if (domain.nullMx) continue;
    const users = [...domain.users.values()].sort((a, b) => a.address.localeCompare(b.address));
    const fallback = users[0]?.address ?? [...domain.aliases.values()][0]?.address ?? `postmaster@${domain.name}`;
    for (const host of domain.outbound) {
      const author = users.find((u) => u.homeId === host.id)?.address ?? fallback;
      jobs.push({ domain, host, author });
    }
  }
  return jobs;
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
  domain: Domain,
  host: Host,
  got: Pick<ReceivedMessage, 'source' | 'auth'>,
): { status: 'pass' | 'fail'; expected?: string; observed?: string; note?: string } {
  const expectation = expectAuthentication(domain, host, got.source);
  const seen = results(got.auth);
  const from = got.source
    ? `${got.source} (${hostWithAddress(plan.hosts.values(), got.source)?.id ?? 'no planned host'})`
    : 'an address the engine could not name';

  const spfFailure =
    seen.spf === 'pass'
      ? undefined
      : expectation.spf === false
        ? `spf=${seen.spf}: ${from} is not in ${domain.name}'s SPF`
        : `spf=${seen.spf}: ${from}${expectation.spf ? ` is in ${domain.name}'s SPF, yet` : ':'} ${seen.spfComment}`;
  const dkimFailures = expectation.dkim.flatMap((selector) => {
    const r = seen.dkim.find((d) => d.selector === selector && d.domain === domain.name);
    if (r?.result === 'pass') return [];
    return [
      `dkim=${r?.result ?? 'none'}: ${selector}._domainkey.${domain.name} ${r ? `failed: ${r.info}` : 'signed nothing'}`,
    ];
  });
  const alignedDkim = seen.dkim.some((d) => d.result === 'pass' && d.domain === domain.name);
  const dkimCauses =
    expectation.dkim.length > 0 || alignedDkim
      ? dkimFailures
      : [`dkim=${seen.dkim[0]?.result ?? 'none'}: ${host.id} does not sign for ${domain.name}`];

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
