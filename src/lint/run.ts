/**
 * Runs the rule catalogue over a plan.
 *
 * A rule's level comes from, last one winning: its default (on with its own severity when it is
 * in `recommended`, or in `strict` under --strict), the topology's `lint.rules`, then the
 * command line's `--rule id=level`.
 */
import type { Finding, Severity } from '../diagnostics.js';
import { sortFindings } from '../diagnostics.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../topology/did-you-mean.js';
import type { Plan, RuleLevel } from '../topology/types.js';
import { rules } from './index.js';
import { formatMessage, type Rule } from './rule.js';

export interface LintOptions {
  /** Run the strict set as well as the recommended one. */
  readonly strict?: boolean;
  /** Levels from the command line, by rule id. */
  readonly overrides?: ReadonlyMap<string, RuleLevel>;
  /** Run only these rules (tests, `--only`). */
  readonly only?: readonly string[];
}

const LEVEL_SEVERITY: Record<Exclude<RuleLevel, 'off'>, Severity> = { error: 'error', warn: 'warning', info: 'info' };

export function lint(plan: Plan, options: LintOptions = {}): Finding[] {
  for (const id of [...(options.overrides?.keys() ?? []), ...(options.only ?? [])]) {
    if (!rules.has(id))
      throw new UsageError(`unknown rule "${id}"${didYouMean(id, rules.keys())}; see \`mxplan rules\``);
  }
  const findings: Finding[] = [];
  for (const [id, { at }] of plan.ruleLevels) {
    if (rules.has(id)) continue;
    findings.push({
      rule: 'lint-config',
      severity: 'error',
      message: `lint.rules names an unknown rule "${id}"${didYouMean(id, rules.keys())}`,
      fix: 'Use an id that `mxplan rules` lists.',
      location: at,
    });
  }

  for (const rule of rules.values()) {
    const severity = severityOf(rule, plan, options);
    if (!severity) continue;
    rule.check({
      plan,
      report: ({ messageId, data, at, related, fix }) => {
        findings.push({
          rule: rule.meta.id,
          messageId,
          severity,
          message: formatMessage(rule.meta.messages[messageId] ?? messageId, data),
          location: at,
          ...(related && related.length > 0 ? { related } : {}),
          fix: fix ?? rule.meta.fix,
        });
      },
    });
  }
  return sortFindings(findings);
}

function severityOf(rule: Rule, plan: Plan, options: LintOptions): Severity | undefined {
  const { id, sets, severity } = rule.meta;
  if (options.only) return options.only.includes(id) ? severity : undefined;
  const level = options.overrides?.get(id) ?? plan.ruleLevels.get(id)?.level;
  if (level) return level === 'off' ? undefined : LEVEL_SEVERITY[level];
  const enabled = sets.includes('recommended') || (options.strict === true && sets.includes('strict'));
  return enabled ? severity : undefined;
}
