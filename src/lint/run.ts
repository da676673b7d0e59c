/**
 * Runs the rule catalogue over a plan.
 *
 * A rule's level comes from, last one winning: its default (on with its own severity when it is
 * in `recommended`, or in `strict` under --strict), the topology's `lint.rules`, then the
 * command line's `--rule id=level`.
 */
import type { Finding, RuleLevel, Severity } from '../diagnostics.js';
import { sortFindings } from '../diagnostics.js';
import { UnknownNameError } from '../errors.js';
import { didYouMean } from '../topology/did-you-mean.js';
import type { Plan } from '../topology/types.js';
import { loaderChecks, rules } from './index.js';
import { formatMessage, type Rule } from './rule.js';

export interface LintOptions {
  /** Run the strict set as well as the recommended one. */
  readonly strict?: boolean;
  /** Levels set by the caller (the command line), by rule id; they win over the topology's. */
  readonly overrides?: ReadonlyMap<string, RuleLevel>;
  /** Run only these rules (tests). */
  readonly only?: readonly string[];
}

export function lint(plan: Plan, options: LintOptions = {}): Finding[] {
  // The caller checks what it was given (the CLI names its flag); here an unknown id is a bug.
  const unknown = [...(options.overrides?.keys() ?? []), ...(options.only ?? [])].filter((id) => !rules.has(id));
  if (unknown.length > 0) throw new UnknownNameError(`no lint rule ${unknown.map((id) => `"${id}"`).join(', ')}`);
  const findings: Finding[] = [];
  for (const [id, { at }] of plan.ruleLevels) {
    if (rules.has(id)) continue;
    const check = loaderChecks.get(id);
    findings.push({
      rule: 'lint-config',
      severity: 'error',
      message: check
        ? `lint.rules names "${id}", a check of the input: it always runs, at error level`
        : `lint.rules names an unknown rule "${id}"${didYouMean(id, rules.keys())}`,
      fix: check ? `Remove "${id}" from lint.rules.` : loaderChecks.get('lint-config')!.fix,
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
  if (level) return level === 'off' ? undefined : level;
  const enabled = sets.includes('recommended') || (options.strict === true && sets.includes('strict'));
  return enabled ? severity : undefined;
}
