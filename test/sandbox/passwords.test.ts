/**
 * The sandbox's throwaway passwords reach mail clients through their command lines (swaks
 * --auth-password, docs/clients.md) and config files: they must never read as an option.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newPassword, openPasswords } from '../../src/sandbox/passwords.js';
import { passwordsFile } from '../../src/state-layout.js';
import { loadPlan } from '../../src/topology/load.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const ROOT = join(import.meta.dirname, '..', '..');

afterAll(removeTempDirs);

describe('sandbox passwords', () => {
  it('are 16 letters and digits, none alike, for every store user of the hosting example', async () => {
    // 4,481 addresses: with base64url, one password in 64 began with '-' (CI: swaks "Unknown option").
    const { plan } = await loadPlan(join(ROOT, 'examples', 'hosting', 'topology.yaml'));
    const stateDir = await tempDir('passwords');
    const logins = await openPasswords(plan!, stateDir);
    expect(logins.size).toBeGreaterThan(1000);
    for (const password of logins.values()) expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(new Set(logins.values()).size).toBe(logins.size);
    // Kept as they were made, and made again from the file on the next start.
    const file = JSON.parse(await readFile(passwordsFile(stateDir), 'utf8')) as Record<string, string>;
    expect(new Map(Object.entries(file))).toEqual(logins);
    expect(await openPasswords(plan!, stateDir)).toEqual(logins);
  });

  it('draws every symbol alike: none left out, none favoured past chance', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) for (const c of newPassword()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 320,000 draws over 62 symbols: 5,161 each, give or take 71. A plain byte % 62 would give
    // eight symbols 6,250 and the rest 5,000: six deviations either way tells them apart.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(5161 - 6 * 71);
      expect(n).toBeLessThan(5161 + 6 * 71);
    }
  });
});
