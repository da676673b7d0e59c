/** Directed graphs over plan objects (aliases naming aliases, SPF includes): iterative, so long chains cannot overflow the stack. */

/**
 * Every cycle of a directed graph that a depth-first search closes, each once, in the order the
 * nodes are given: [a, b, a] for a → b → a.
 */
export function findCycles<T>(nodes: Iterable<T>, next: (node: T) => readonly T[]): T[][] {
  const state = new Map<T, 'active' | 'done'>();
  const cycles: T[][] = [];
  for (const root of nodes) {
    if (state.has(root)) continue;
    const stack: { node: T; edges: readonly T[]; index: number }[] = [{ node: root, edges: next(root), index: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const frame = stack.at(-1)!;
      if (frame.index >= frame.edges.length) {
        state.set(frame.node, 'done');
        stack.pop();
        continue;
      }
      const target = frame.edges[frame.index++]!;
      const seen = state.get(target);
      if (seen === 'done') continue;
      if (seen === 'active') {
        const start = stack.findIndex((f) => f.node === target);
        cycles.push([...stack.slice(start).map((f) => f.node), target]);
        continue;
      }
      state.set(target, 'active');
      stack.push({ node: target, edges: next(target), index: 0 });
    }
  }
  return cycles;
}

/**
 * The strongly connected components of a directed graph (Tarjan), each listed after every
 * component it reaches: a fact that flows backwards along edges can be computed in this order,
 * once per component, however the graph nests or loops.
 */
export function componentsInDependencyOrder<T>(nodes: Iterable<T>, next: (node: T) => readonly T[]): T[][] {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const components: T[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const frames: { node: T; edges: readonly T[]; i: number }[] = [];
    const enter = (node: T) => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      frames.push({ node, edges: next(node), i: 0 });
    };
    enter(root);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      if (frame.i < frame.edges.length) {
        const target = frame.edges[frame.i++]!;
        if (!index.has(target)) enter(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: T[] = [];
        let member: T;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}
