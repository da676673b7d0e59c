/**
 * A lint rule: metadata first (so listings, docs and SARIF read it), then one `check` that walks
 * the plan and reports findings. Rules never throw for a finding.
 */
import type { Severity, SourceLocation } from '../diagnostics.js';
import type { Plan } from '../topology/types.js';

export type RuleSet = 'recommended' | 'strict';

export type Category = 'mx' | 'routing' | 'addresses' | 'capacity' | 'dns' | 'spf' | 'dmarc' | 'transport';

export interface RuleMeta<MessageId extends string> {
  /** kebab-case, subject first, naming the healthy property: `mx-has-backup`. Equals the file name. */
  readonly id: string;
  readonly category: Category;
  /** One sentence: what the rule wants to be true. */
  readonly description: string;
  /** `error` when mail is lost, bounced or misrouted; `warning` when the plan is fragile; `info` advisory. */
  readonly severity: Severity;
  /** recommended rules run by default; strict-only rules run with --strict. */
  readonly sets: readonly RuleSet[];
  /** "RFC 5321 §5.1" and the like; at least one. */
  readonly references: readonly string[];
  /** Why the rule exists, in a few sentences: the doc `mxplan rules <id>` prints. */
  readonly rationale: string;
  /** The fix, in one sentence, as shown under each finding. */
  readonly fix: string;
  /** Message templates by id; `{name}` is replaced from the report's data. */
  readonly messages: Readonly<Record<MessageId, string>>;
}

export interface Report<MessageId extends string> {
  readonly messageId: MessageId;
  readonly data?: Readonly<Record<string, string | number>>;
  readonly at: SourceLocation;
  readonly related?: readonly SourceLocation[];
  /** A fix more specific than the rule's own. */
  readonly fix?: string;
}

export interface RuleContext<MessageId extends string> {
  readonly plan: Plan;
  /** Rules destructure it (`check({ plan, report })`), so it is a property, not a method. */
  readonly report: (report: Report<MessageId>) => void;
}

export interface Rule<MessageId extends string = string> {
  readonly meta: RuleMeta<MessageId>;
  check(context: RuleContext<MessageId>): void;
}

export function defineRule<MessageId extends string>(rule: Rule<MessageId>): Rule<MessageId> {
  return rule;
}

export function formatMessage(template: string, data: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in data ? String(data[key]) : whole));
}
