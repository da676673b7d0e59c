/**
 * A lint rule: metadata first (so listings, docs and SARIF read it), then one `check` that walks
 * the plan and reports findings. Rules never throw for a finding.
 */
import type { RuleInfo, SourceLocation } from '../diagnostics.js';
import type { Plan } from '../topology/types.js';

export type RuleSet = 'recommended' | 'strict';

export const CATEGORIES = [
  'mx',
  'routing',
  'addresses',
  'capacity',
  'dns',
  'spf',
  'dkim',
  'dmarc',
  'transport',
] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * `id`: kebab-case, subject first, naming the healthy property (`mx-has-backup`); equals the file
 * name. `severity`: `error` when mail is lost, bounced or misrouted; `warning` when the plan is
 * fragile; `info` advisory. `rationale` is the doc `mxplan rules <id>` prints.
 */
export interface RuleMeta<MessageId extends string> extends RuleInfo {
  readonly category: Category;
  /** recommended rules run by default; strict-only rules run with --strict. */
  readonly sets: readonly RuleSet[];
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
