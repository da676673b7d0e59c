/**
 * The examples of docs/rules.md, taken from each rule's own test cases: its first invalid case,
 * and a valid one, each shown as the part of the base plan the case sets (an excerpt), with what
 * lint says of the invalid one. The catalogue meta-test renders the docs from these.
 */
import { isDeepStrictEqual } from 'node:util';
import { Document, isPair, isScalar, parse, visit } from 'yaml';
import type { DocsExamples, RuleExample, RuleExamples } from '../../src/lint/docs.js';
import { lint } from '../../src/lint/run.js';
import type { RuleCase, RuleCases } from './rule-tester.js';
import { baseTopology, planOf } from './topology.js';

type Path = readonly string[];
type Mapping = Record<string, unknown>;

export async function ruleExamples(cases: ReadonlyMap<string, RuleCases>): Promise<DocsExamples> {
  const examples = new Map<string, RuleExamples>();
  for (const [id, table] of cases) examples.set(id, await examplesOf(id, table));
  return { base: yaml(baseTopology(), new Map()), rules: examples };
}

async function examplesOf(id: string, { valid, invalid }: RuleCases): Promise<RuleExamples> {
  const base = baseTopology();
  const failing = invalid[0]!;
  const failingDoc = documentOf(failing);
  const shown = differences(base, failingDoc);
  const removed = (doc: unknown) => removals(base, doc);
  // The passing case that changes what the failing one changes, or nearest to it; else the first.
  const closeness = (changed: readonly Path[]) =>
    Math.max(0, ...changed.flatMap((p) => shown.map((q) => sharedKeys(p, q))));
  const passing = valid
    .map((c) => ({ c, changed: differences(base, documentOf(c)) }))
    .reduce((best, next) => (closeness(next.changed) > closeness(best.changed) ? next : best));
  const findings = lint(await planOf(failing.topology, failing.files), { only: [id] });
  return {
    invalid: {
      ...example(failing, excerpt(failingDoc, shown), removed(failingDoc)),
      findings: findings.map((f) => `${f.severity}  ${f.message}`),
    },
    valid: example(
      passing.c,
      excerpt(documentOf(passing.c), [...shown, ...passing.changed]),
      removed(documentOf(passing.c)),
    ),
  };
}

function example(c: RuleCase, part: unknown, removed: ReadonlyMap<string, readonly string[]>): RuleExample {
  const files =
    c.files &&
    Object.fromEntries(
      Object.entries(c.files).map(([name, file]) => [
        name,
        typeof file === 'string' ? shortCsv(file) : `# ${file.note}\n`,
      ]),
    );
  return { name: c.name, ...(part !== undefined && { excerpt: yaml(part, removed) }), ...(files && { files }) };
}

/** A long users file shows its first rows (a `#` line is a comment to the CSV reader). */
function shortCsv(text: string, rows = 5): string {
  const lines = text.trimEnd().split('\n');
  if (lines.length <= rows + 2) return text;
  return [...lines.slice(0, rows + 1), `# ... and ${lines.length - rows - 1} more rows like these`].join('\n');
}

function documentOf(c: RuleCase): unknown {
  return typeof c.topology === 'string' ? parse(c.topology) : c.topology;
}

/**
 * As a person writes a topology: short lists and mappings of plain values on one line. A mapping
 * the case took keys from says so in a comment (an excerpt cannot show an absence otherwise).
 */
function yaml(value: unknown, removed: ReadonlyMap<string, readonly string[]>): string {
  const doc = new Document(value);
  visit(doc, {
    Collection(_, node, path) {
      const plain = (node.items as unknown[]).every((item) => isScalar(item) || (isPair(item) && isScalar(item.value)));
      if (plain && JSON.stringify(node.toJSON()).length <= 60) node.flow = true;
      const keys = path.filter(isPair).map((pair) => String(pair.key));
      const gone = removed.get(JSON.stringify(keys));
      if (gone) node.comment = ` no ${gone.join(', no ')} here`;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

const sharedKeys = (a: Path, b: Path) => {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
};

/**
 * Where `doc` differs from `base`: mappings are followed key by key; a list or a value is one
 * difference; a mapping that lost a key is a difference as a whole (an excerpt cannot show an
 * absence otherwise).
 */
function differences(base: unknown, doc: unknown, path: Path = []): Path[] {
  if (isMapping(base) && isMapping(doc)) {
    if (Object.keys(base).some((key) => !(key in doc))) return [path];
    return Object.keys(doc).flatMap((key) =>
      key in base ? differences(base[key], doc[key], [...path, key]) : [[...path, key]],
    );
  }
  return isDeepStrictEqual(base, doc) ? [] : [path];
}

/** The keys `doc` lacks that `base` has, by the path (as JSON) of their mapping. */
function removals(base: unknown, doc: unknown, path: Path = [], found = new Map<string, string[]>()) {
  if (isMapping(base) && isMapping(doc)) {
    const gone = Object.keys(base).filter((key) => !(key in doc));
    if (gone.length > 0) found.set(JSON.stringify(path), gone);
    for (const key of Object.keys(doc)) if (key in base) removals(base[key], doc[key], [...path, key], found);
  }
  return found;
}

/**
 * The parts of `doc` at `paths`, with their ancestors, in `doc`'s order; a path `doc` does not
 * have (a key the other case added) shows nothing. Undefined when nothing is left.
 */
function excerpt(doc: unknown, paths: readonly Path[]): unknown {
  if (paths.some((p) => p.length === 0)) return doc;
  if (!isMapping(doc)) return undefined;
  const part: Mapping = {};
  for (const key of Object.keys(doc)) {
    const below = paths.filter((p) => p[0] === key).map((p) => p.slice(1));
    const value = below.length > 0 ? excerpt(doc[key], below) : undefined;
    if (value !== undefined) part[key] = value;
  }
  return Object.keys(part).length > 0 ? part : undefined;
}
