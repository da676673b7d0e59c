/**
 * `mxplan graph`: the plan diagram, read back by parsers nobody here wrote: Graphviz's own dot
 * for the DOT source, xmllint for the SVG (Mermaid is parsed by Mermaid itself, in Chromium:
 * test/dashboard/browser.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { planGraph } from '../../src/graph/model.js';
import { toDot, toMermaid } from '../../src/graph/render.js';
import { toSvg } from '../../src/graph/svg.js';
import { loadPlan } from '../../src/topology/load.js';
import { mxplan, ROOT } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';

const hasDot = requireTool('dot');
const hasXmllint = requireTool('xmllint');
const EXAMPLES = ['examples/building/topology.yaml', 'examples/hosting/topology.yaml'];

async function graphOf(file: string) {
  const { plan } = await loadPlan(`${ROOT}/${file}`);
  return { plan: plan!, graph: planGraph(plan!) };
}

/** The values of an XPath expression over an XML document, one a line (xmllint --xpath). */
function xpath(xml: string, expression: string): string[] {
  return execFileSync('xmllint', ['--xpath', expression, '-'], { input: xml, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

describe('the plan diagram', () => {
  it('has each MX with its preference, every home, the forwards between stores and the relays of the backup', async () => {
    const { graph } = await graphOf(EXAMPLES[0]!);
    expect(graph.mx.filter((m) => m.domain === 'initech.example')).toEqual([
      { domain: 'initech.example', preference: 10, host: 'mail2', exchange: 'mail2.tower.example' },
      { domain: 'initech.example', preference: 20, host: 'mail1', exchange: 'mail1.tower.example' },
      { domain: 'initech.example', preference: 50, host: 'backup', exchange: 'mx-backup.tower.example' },
    ]);
    expect(graph.hosts.find((h) => h.id === 'mail1')!.homes).toContainEqual({
      domain: 'initech.example',
      users: ['samir'],
    });
    // mail1 is MX 20 of initech and takes its mail while mail2 is down: peter and michael live on mail2.
    expect(graph.paths).toContainEqual({
      kind: 'forward',
      from: 'mail1',
      to: 'mail2',
      what: ['bob@acme.example', 'michael@initech.example', 'peter@initech.example'],
    });
    expect(graph.paths).toContainEqual({
      kind: 'forward',
      from: 'mail2',
      to: 'mail1',
      what: ['samir@initech.example'],
    });
    expect(graph.paths).toContainEqual({
      kind: 'relay',
      from: 'backup',
      to: 'mail2',
      what: ['globex.example', 'initech.example'],
    });
    // The parked domain has no MX: no edge, a node that says so.
    expect(graph.domains.find((d) => d.name === 'initech-old.example')).toMatchObject({ nullMx: true });
    expect(graph.mx.some((m) => m.domain === 'initech-old.example')).toBe(false);
  });

  it.runIf(hasDot).each(EXAMPLES)('%s: Graphviz reads the DOT source and draws every node', async (file) => {
    const { plan, graph } = await graphOf(file);
    const svg = execFileSync('dot', ['-Tsvg'], { input: toDot(graph), encoding: 'utf8' });
    const titles = xpath(svg, "//*[local-name()='g'][contains(@class,'node')]/*[local-name()='title']/text()");
    expect(titles.filter((t) => t.startsWith('host:')).sort()).toEqual(
      [...plan.hosts.keys()].map((h) => `host:${h}`).sort(),
    );
    expect(titles.filter((t) => t.startsWith('domain:'))).toHaveLength(plan.domains.size);
    // Every MX record and every path between hosts is an edge.
    const edges = xpath(svg, "count(//*[local-name()='g'][contains(@class,'edge')])");
    expect(Number(edges[0])).toBe(graph.mx.length + graph.paths.length);
  });

  it.runIf(hasXmllint).each(EXAMPLES)(
    '%s: the SVG is XML that names every host by id for the dashboard',
    async (file) => {
      const { plan, graph } = await graphOf(file);
      const svg = await toSvg(graph);
      execFileSync('xmllint', ['--noout', '-'], { input: svg });
      const ids = xpath(svg, "//*[local-name()='g'][contains(@class,'host')]/@id").map((a) => a.trim());
      expect(ids.sort()).toEqual([...plan.hosts.keys()].map((h) => `id="host-${h}"`).sort());
    },
  );

  it('is deterministic: the same plan gives byte-identical output in every format, from the CLI too', async () => {
    for (const format of ['mermaid', 'dot', 'svg']) {
      const [a, b] = await Promise.all([1, 2].map(() => mxplan(['graph', EXAMPLES[0]!, '--format', format])));
      expect(a!.code, a!.stderr).toBe(0);
      expect(a!.stdout.length).toBeGreaterThan(500);
      expect(b!.stdout).toBe(a!.stdout);
    }
    const { graph } = await graphOf(EXAMPLES[0]!);
    expect((await mxplan(['graph', EXAMPLES[0]!])).stdout).toBe(toMermaid(graph));
  });

  it('escapes names for each syntax', () => {
    const graph = {
      domains: [{ name: 'a"b<c>.example', nullMx: false, users: 1, aliases: 0 }],
      hosts: [{ id: 'h"1', fqdn: 'h1.example', role: 'store' as const, homes: [] }],
      mx: [{ domain: 'a"b<c>.example', preference: 10, host: 'h"1', exchange: 'h1.example' }],
      external: [],
      paths: [],
    };
    expect(toDot(graph)).toContain('"domain:a\\"b<c>.example"');
    expect(toDot(graph)).toContain('<b>a&quot;b&lt;c&gt;.example</b>');
    expect(toMermaid(graph)).toContain('<b>a#quot;b#lt;c#gt;.example</b>');
  });

  it('refuses a format it does not draw, with usage exit 2', async () => {
    const result = await mxplan(['graph', EXAMPLES[0]!, '--format', 'png']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/png.*invalid|Allowed choices are mermaid, dot, svg/i);
  });
});
