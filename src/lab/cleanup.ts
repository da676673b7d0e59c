/**
 * Labs whose owner is gone: a process killed with SIGKILL, or a crash, leaves its namespaces and
 * the daemons running in them. Every lab start removes them (names.ts tells whose they are), and
 * `mxplan sandbox --lab --cleanup` does so on demand. A lab whose owner still runs is left alone.
 */
import { LAB_MARK, ownerAlive, prefixOf } from './names.js';
import { listNamespaces, listNetnsEtc, removeNamespaces } from './network.js';

export interface CleanupResult {
  /** The prefixes of the labs removed. */
  readonly removed: readonly string[];
  /** Their namespaces. */
  readonly namespaces: readonly string[];
  /** The prefixes of labs whose owner still runs (left alone). */
  readonly running: readonly string[];
}

export async function removeStaleLabs(): Promise<CleanupResult> {
  const names = [...new Set([...(await listNamespaces()), ...(await listNetnsEtc())])].filter((n) =>
    n.startsWith(`${LAB_MARK}-`),
  );
  const byPrefix = new Map<string, string[]>();
  for (const name of names) {
    const prefix = prefixOf(name);
    if (prefix) byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), name]);
  }
  const removed: string[] = [];
  const namespaces: string[] = [];
  const running: string[] = [];
  for (const [prefix, members] of byPrefix) {
    if (ownerAlive(prefix)) {
      running.push(prefix);
      continue;
    }
    // The switch last: while it is there, the others' links still are.
    const ordered = [...members.filter((n) => !n.endsWith('-switch')), ...members.filter((n) => n.endsWith('-switch'))];
    await removeNamespaces(ordered);
    removed.push(prefix);
    namespaces.push(...ordered);
  }
  return { removed, namespaces, running };
}
