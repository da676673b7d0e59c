/**
 * Compares what arrived with what the plan promises: each expected mailbox holds the probe
 * exactly once, no other mailbox holds it, and (when asked) each copy came the expected way.
 */
import type { Plan } from '../topology/types.js';
import type { CaseResult } from './context.js';
import type { DeliveryExpectation, Mailbox } from './expect.js';
import type { Copy } from './mailboxes.js';

export type Verdict = Omit<CaseResult, 'scenario' | 'name'>;

export interface JudgeOptions {
  /** The hops a copy should have taken to `mailbox`. */
  readonly expectedTrail?: (mailbox: Mailbox, copy: Copy) => readonly string[];
  /** Why mail to an address did not arrive, as the relays said (their last deferral or bounce). */
  readonly lastWord?: (address: string) => string | undefined;
}

export function judgeDelivery(
  plan: Plan,
  expectation: DeliveryExpectation,
  allCopies: readonly Copy[],
  { expectedTrail, lastWord }: JudgeOptions = {},
): Verdict {
  const copies = allCopies.filter((c) => !c.dsn);
  const expected = expectedText(expectation);
  const fail = (observed: string, trail?: readonly string[]): Verdict => ({
    status: 'fail',
    expected,
    observed,
    ...(trail && { trail }),
  });

  // The plan loses this mail whatever the hosts did: say why first, then what they did.
  if (expectation.lost.length > 0) {
    const words = expectation.lost.map((l) => lastWord?.(l.address)).filter((w) => w !== undefined);
    return fail(
      `${causes(expectation)}; arrived: ${describeCopies(copies)}${words.length > 0 ? `; ${words[0]}` : ''}`,
      copies[0]?.trail,
    );
  }
  const wanted = new Set(expectation.mailboxes.map((m) => `${m.address} ${m.hostId}`));
  const unexpected = copies.filter((c) => !wanted.has(`${c.address} ${c.hostId}`));
  if (unexpected.length > 0) return fail(`also in ${describeCopies(unexpected)}`, unexpected[0]!.trail);
  for (const mailbox of expectation.mailboxes) {
    const mine = copies.filter((c) => c.address === mailbox.address && c.hostId === mailbox.hostId);
    if (mine.length === 0) {
      const why = lastWord?.(mailbox.address) ?? lastWord?.(expectation.address);
      return fail(
        `nothing in ${mailbox.address} on ${mailbox.hostId}; arrived: ${describeCopies(copies)}${why ? `; ${why}` : ''}`,
      );
    }
    if (mine.length > 1)
      return fail(`${mine.length} copies in ${mailbox.address} on ${mailbox.hostId}`, mine[0]!.trail);
    if (expectedTrail) {
      const want = expectedTrail(mailbox, mine[0]!).map((id) => plan.hosts.get(id)?.fqdn ?? id);
      if (want.join(' ') !== mine[0]!.trail.join(' ')) {
        return {
          status: 'fail',
          expected: `${mailbox.address} via ${want.join(' → ')}`,
          observed: `via ${mine[0]!.trail.join(' → ')}`,
          trail: mine[0]!.trail,
        };
      }
    }
  }
  return {
    status: 'pass',
    ...(expectation.outside.length > 0 && { note: `leaves the plan for ${expectation.outside.join(', ')}` }),
    trail: copies[0]?.trail ?? [],
  };
}

/**
 * A probe the hosts did not take (refused, or no host answered). When the plan itself loses the
 * address's mail, that is the failure and the refusal its evidence; otherwise the refusal is.
 */
export function judgeNotTaken(expectation: DeliveryExpectation, expected: string, observed: string): Verdict {
  if (expectation.lost.length === 0) return { status: 'fail', expected, observed };
  return { status: 'fail', expected: expectedText(expectation), observed: `${causes(expectation)}; ${observed}` };
}

/** "alice@acme.example on mail1, ben@acme.example in a mailbox of the plan; 1 member(s) outside the plan: ..." */
function expectedText(expectation: DeliveryExpectation): string {
  const { mailboxes, lost, outside } = expectation;
  const where = [
    ...(mailboxes.length > 0 || lost.length === 0 ? [describeCopies(mailboxes)] : []),
    ...lost.map((l) => `${l.address} in a mailbox of the plan`),
  ].join(', ');
  return outside.length > 0 ? `${where}; ${outside.length} member(s) outside the plan: ${outside.join(', ')}` : where;
}

function causes(expectation: DeliveryExpectation): string {
  return expectation.lost.map((l) => l.why).join('; ');
}

/** The host id whose planned fqdn is `name`, for reading Received trails. */
export function hostIdByFqdn(plan: Plan): (name: string) => string | undefined {
  const byFqdn = new Map([...plan.hosts.values()].map((h) => [h.fqdn, h.id]));
  return (name) => byFqdn.get(name);
}

/** "alice@acme.example on mail1, bob@acme.example on mail2" */
export function describeCopies(copies: readonly Pick<Copy, 'address' | 'hostId'>[]): string {
  if (copies.length === 0) return 'nowhere';
  const counts = new Map<string, number>();
  for (const c of copies)
    counts.set(`${c.address} on ${c.hostId}`, (counts.get(`${c.address} on ${c.hostId}`) ?? 0) + 1);
  return [...counts]
    .map(([where, n]) => (n > 1 ? `${where} (${n} copies)` : where))
    .sort()
    .join(', ');
}
