/**
 * The draft as YAML, laid out like the examples: short maps and lists on one line (flow style),
 * each guess or omission as a comment before its key or after its value.
 */
import { Document, isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { Draft } from './draft.js';

/** Paths (with `*` for any key or index) whose value is written on one line. */
const FLOW = [
  'dns/soa',
  'dns/nameservers/*',
  'dns/reverse',
  'zones',
  'hosts/*/ipv4',
  'hosts/*/ipv6',
  'hosts/*/limits',
  'hosts/*/queue',
  'domains/*/users/*',
  'domains/*/aliases/*',
  'domains/*/mx/*',
  'domains/*/senders',
  'domains/*/spf',
  'domains/*/dmarc',
  'domains/*/tlsRpt',
];

export function draftYaml(draft: Draft, sources: readonly string[]): string {
  const doc = new Document(draft.document);
  doc.commentBefore = [
    ` A draft imported by mxplan from ${sources.join(', ')}.`,
    ...(
      draft.header ?? ['Users and aliases are not in DNS: add them (users: or usersFile:) before this plan is used.']
    ).map((line) => ` ${line}`),
  ].join('\n');
  walk(doc.contents, [], (node, path) => {
    if (FLOW.some((pattern) => matches(pattern, path)) && (isMap(node) || isSeq(node))) node.flow = true;
  });
  for (const comment of draft.comments) {
    const pair = pairAt(doc, comment.path);
    if (!pair) continue;
    const text = comment.text
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
    if (comment.inline && isScalar(pair.value)) {
      pair.value.comment = pair.value.comment ? `${pair.value.comment};${text}` : text;
    } else if (isScalar(pair.key)) {
      pair.key.commentBefore = pair.key.commentBefore ? `${pair.key.commentBefore}\n${text}` : text;
    }
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

function matches(pattern: string, path: readonly string[]): boolean {
  const parts = pattern.split('/');
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]);
}

function walk(node: Node | null | undefined, path: string[], visit: (node: Node, path: string[]) => void): void {
  if (!node) return;
  visit(node, path);
  if (isMap(node)) {
    for (const pair of node.items)
      walk(pair.value as Node, [...path, String(isScalar(pair.key) ? pair.key.value : pair.key)], visit);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item as Node, [...path, String(i)], visit));
  }
}

/** The key-value pair at a path of map keys (an index selects a sequence item). */
function pairAt(doc: Document, path: readonly (string | number)[]): Pair | undefined {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      node = pair?.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else return undefined;
  }
  return pair;
}
