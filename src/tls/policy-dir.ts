/**
 * `mxplan mta-sts`: the MTA-STS policy files of the plan, one per domain that publishes MTA-STS,
 * in a directory mxplan owns and replaces as a whole (../output-dir.ts).
 *
 * Flat, one file per policy host: `mta-sts.<domain>.txt` is what
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` must return (RFC 8461 §3.3), so a web
 * server maps the request's host name to the file (nginx: `alias <dir>/$host.txt`). A policy
 * has no room for a comment (RFC 8461 §3.2 fields only; validators such as checkdmarc reject
 * unknown lines), so mxplan knows its files by their name and their first line.
 */
import { resolve } from 'node:path';
import { readOwnedDirectory, replaceOwnedDirectory, type Mark } from '../output-dir.js';
import type { Plan } from '../topology/types.js';
import { policyHostName, policyText } from './mta-sts.js';

export interface WrittenPolicy {
  readonly domain: string;
  readonly file: string;
  readonly status: 'new' | 'changed' | 'unchanged';
}

export interface WritePoliciesResult {
  /** The directory, absolute. */
  readonly out: string;
  readonly policies: readonly WrittenPolicy[];
  /** Files of an earlier run whose domain no longer publishes MTA-STS. */
  readonly removed: readonly string[];
  readonly written: boolean;
}

const POLICY_MARK: Mark = (name, text) => /^mta-sts\..+\.txt$/.test(name) && text.startsWith('version: STSv1\r\n');

/** The policy files by file name: `mta-sts.<domain>.txt`. */
export function policyFiles(plan: Plan): Map<string, { domain: string; text: string }> {
  const files = new Map<string, { domain: string; text: string }>();
  for (const domain of plan.domains.values())
    if (domain.mtaSts)
      files.set(`${policyHostName(domain.name)}.txt`, { domain: domain.name, text: policyText(domain.mtaSts) });
  return files;
}

export async function writePolicyDirectory(plan: Plan, out: string): Promise<WritePoliciesResult> {
  const dir = resolve(out);
  const existing = await readOwnedDirectory(dir, POLICY_MARK);
  const files = policyFiles(plan);
  const policies = [...files].map(([file, { domain, text }]) => {
    const before = existing?.get(file);
    const status = before === undefined ? 'new' : before === text ? 'unchanged' : 'changed';
    return { domain, file, status } as const;
  });
  const texts = new Map([...files].map(([file, { text }]) => [file, text]));
  const { written, removed } = await replaceOwnedDirectory(dir, texts, existing, POLICY_MARK);
  return { out: dir, policies, removed, written };
}
