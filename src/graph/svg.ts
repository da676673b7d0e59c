/**
 * The plan diagram as SVG, laid out by Graphviz's dot (compiled to WebAssembly in
 * @hpcc-js/wasm-graphviz: nothing is downloaded or spawned). Graphviz is deterministic for the
 * same input, and measures text with its own built-in font metrics, so the SVG is byte-identical
 * for the same plan on any machine.
 */
import type { PlanGraph } from './model.js';
import { toDot } from './render.js';

type Graphviz = Awaited<ReturnType<(typeof import('@hpcc-js/wasm-graphviz'))['Graphviz']['load']>>;
let graphviz: Promise<Graphviz> | undefined;

export async function toSvg(graph: PlanGraph): Promise<string> {
  // Loaded on first use: the WebAssembly module costs a few hundred milliseconds to compile.
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  return (await graphviz).dot(toDot(graph), 'svg');
}
