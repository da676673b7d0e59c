import { Option, type Command } from 'commander';
import { planForOutput } from '../plan-gate.js';
import { GRAPH_FORMATS, type GraphFormat } from '../../graph/render.js';

interface GraphFlags {
  format: GraphFormat;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('graph')
    .description(
      'draw the plan: domains, their MX records to hosts, where each user lives, and how mail moves between hosts',
    )
    .argument('<topology>', 'topology file (YAML or JSON), or - for standard input')
    .addOption(
      new Option(
        '-f, --format <format>',
        'mermaid (for a README or pull request), dot (Graphviz source), svg (laid out by Graphviz)',
      )
        .choices(GRAPH_FORMATS)
        .default('mermaid'),
    )
    .option('--force', 'draw even when the topology has error-level findings')
    .addHelpText('after', '\nThe same plan gives byte-identical output in every format.')
    .action(async (file: string, flags: GraphFlags, command: Command) => {
      const plan = await planForOutput(file, { force: flags.force === true, command, refusal: 'nothing was drawn' });
      const [{ planGraph }, { toDot, toMermaid }] = await Promise.all([
        import('../../graph/model.js'),
        import('../../graph/render.js'),
      ]);
      const graph = planGraph(plan);
      if (flags.format === 'svg') {
        const { toSvg } = await import('../../graph/svg.js');
        process.stdout.write(await toSvg(graph));
      } else process.stdout.write(flags.format === 'dot' ? toDot(graph) : toMermaid(graph));
    });
}
