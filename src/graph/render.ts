/**
 * The plan diagram (model.ts) as text: Graphviz DOT and Mermaid flowchart. The same nodes, edges
 * and labels in both, in the model's order, so the output is byte-identical for the same plan.
 *
 * Node ids are stable and meaningful, so that the dashboard finds a host in the SVG (`host-<id>`,
 * with class `host`) and colours it by status.
 */
import { abridged, type GraphHost, type GraphPath, type PlanGraph } from './model.js';

/** Users named per domain in a host's box; beyond, a count. */
const USERS_SHOWN = 6;
/** Addresses named on a forwarding path; beyond, a count. */
const FORWARDS_SHOWN = 3;

export type GraphFormat = 'mermaid' | 'dot' | 'svg';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot', 'svg'];

/** A host's box: its id and role, its name, and the mailboxes homed on it per domain. */
function hostLabel(h: GraphHost): { title: string; lines: string[] } {
  return {
    title: `${h.id} (${h.role === 'relay' ? 'relay-only' : 'store'})`,
    lines: [
      h.fqdn,
      ...(h.role === 'store' && h.homes.length === 0 ? ['no mailboxes'] : []),
      ...h.homes.map((home) => `${home.domain}: ${abridged(home.users, USERS_SHOWN)}`),
    ],
  };
}

/** What a path carries, one item a line (`breakLine`) so that labels stay narrow. */
function pathLabel(p: GraphPath, breakLine: string): string {
  const what =
    p.what.length <= FORWARDS_SHOWN ? p.what : [`${p.what.length} ${p.kind === 'relay' ? 'domains' : 'users'}`];
  return [p.kind === 'relay' ? 'relays' : 'forwards', ...what].join(breakLine);
}

function domainLine(d: PlanGraph['domains'][number]): string {
  if (d.nullMx) return 'null MX: receives no mail';
  return `${d.users} user${d.users === 1 ? '' : 's'}, ${d.aliases} alias${d.aliases === 1 ? '' : 'es'}`;
}

export function toDot(graph: PlanGraph): string {
  const q = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  // HTML-like labels (Graphviz "shapes.html"): only &, <, > and " need escaping.
  const html = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const out = [
    'digraph plan {',
    '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.35, ranksep=1.1];',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const d of graph.domains)
    out.push(
      `  ${q(`domain:${d.name}`)} [id=${q(`domain-${d.name}`)}, class=${q(d.nullMx ? 'domain null-mx' : 'domain')}, ` +
        `shape=box, style="rounded,filled", fillcolor=${q(d.nullMx ? '#eeeeee' : '#e8f0fe')}, ` +
        `label=<<b>${html(d.name)}</b><br/><font point-size="9">${html(domainLine(d))}</font>>];`,
    );
  for (const h of graph.hosts) {
    const { title, lines } = hostLabel(h);
    const rows = [`<tr><td><b>${html(title)}</b></td></tr>`, ...lines.map((l) => `<tr><td>${html(l)}</td></tr>`)];
    out.push(
      `  ${q(`host:${h.id}`)} [id=${q(`host-${h.id}`)}, class="host", shape=plain, ` +
        `label=<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" bgcolor="#f6fff0">${rows.join('')}</table>>];`,
    );
  }
  for (const name of graph.external)
    out.push(
      `  ${q(`external:${name}`)} [class="external", shape=box, style=dashed, label=${q(`${name}\n(outside the plan)`)}];`,
    );
  for (const m of graph.mx) {
    const target = m.host ? `host:${m.host}` : `external:${m.exchange}`;
    out.push(`  ${q(`domain:${m.domain}`)} -> ${q(target)} [class="mx", label=${q(`MX ${m.preference}`)}];`);
  }
  for (const p of graph.paths)
    out.push(
      `  ${q(`host:${p.from}`)} -> ${q(`host:${p.to}`)} [class=${q(p.kind)}, style=dashed, color=${q(p.kind === 'relay' ? '#aa6600' : '#336699')}, ` +
        // A backup's relay path ranks it between the domains and the stores. Forwards run between
        // stores of one rank and must not rank them; xlabel keeps their labels clear of each other.
        `${p.kind === 'forward' ? 'constraint=false, xlabel' : 'label'}=${q(pathLabel(p, '\n'))}];`,
    );
  out.push('}');
  return `${out.join('\n')}\n`;
}

export function toMermaid(graph: PlanGraph): string {
  // Mermaid node ids are plain words; the model's names are mapped to d1.., h<n>.., x<n>.. in order.
  const ids = new Map<string, string>();
  graph.domains.forEach((d, i) => ids.set(`domain:${d.name}`, `d${i + 1}`));
  graph.hosts.forEach((h, i) => ids.set(`host:${h.id}`, `h${i + 1}`));
  graph.external.forEach((name, i) => ids.set(`external:${name}`, `x${i + 1}`));
  // Inside a quoted label Mermaid reads entity codes: #quot; for ", #lt; and #gt; for < and >.
  const text = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const out = ['flowchart LR'];
  for (const d of graph.domains)
    out.push(`  ${ids.get(`domain:${d.name}`)}(["<b>${text(d.name)}</b><br/>${text(domainLine(d))}"])`);
  for (const h of graph.hosts) {
    const { title, lines } = hostLabel(h);
    out.push(`  ${ids.get(`host:${h.id}`)}["<b>${text(title)}</b><br/>${lines.map(text).join('<br/>')}"]`);
  }
  for (const name of graph.external)
    out.push(`  ${ids.get(`external:${name}`)}["${text(name)}<br/>(outside the plan)"]`);
  for (const m of graph.mx) {
    const target = m.host ? `host:${m.host}` : `external:${m.exchange}`;
    out.push(`  ${ids.get(`domain:${m.domain}`)} -->|"MX ${m.preference}"| ${ids.get(target)}`);
  }
  for (const p of graph.paths)
    out.push(`  ${ids.get(`host:${p.from}`)} -.->|"${text(pathLabel(p, '<br/>'))}"| ${ids.get(`host:${p.to}`)}`);
  const classes = [
    ['domain', graph.domains.filter((d) => !d.nullMx).map((d) => ids.get(`domain:${d.name}`)!)],
    ['nullmx', graph.domains.filter((d) => d.nullMx).map((d) => ids.get(`domain:${d.name}`)!)],
    ['host', graph.hosts.map((h) => ids.get(`host:${h.id}`)!)],
  ] as const;
  out.push('  classDef domain fill:#e8f0fe,stroke:#4466aa');
  out.push('  classDef nullmx fill:#eeeeee,stroke:#999999,stroke-dasharray:3 3');
  out.push('  classDef host fill:#f6fff0,stroke:#447733');
  for (const [name, members] of classes) if (members.length > 0) out.push(`  class ${members.join(',')} ${name}`);
  return `${out.join('\n')}\n`;
}
