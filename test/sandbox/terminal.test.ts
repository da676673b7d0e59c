/**
 * `mxplan sandbox` on a terminal: a real pseudo-terminal from script(1) (util-linux), keys typed
 * as a person types them. Tab completes a command, the up arrow recalls the last line (readline's
 * history), and Ctrl-C stops the sandbox cleanly.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { requireTool } from '../helpers/tools.js';

const hasScript = requireTool('script');
afterAll(removeTempDirs);

describe.runIf(hasScript)('mxplan sandbox on a terminal', () => {
  it('completes commands with Tab, recalls them with the up arrow, and stops on Ctrl-C', async () => {
    const state = await tempDir('terminal');
    const command = `${process.execPath} ${join(ROOT, 'bin/mxplan.js')} sandbox examples/building/topology.yaml --state ${state}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // What a person would read: readline's cursor movements (CSI sequences) left out.
    const plain = () => screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    const until = async (pattern: RegExp, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(plain())) {
        if (Date.now() > deadline) throw new Error(`never saw ${what}; the screen:\n${plain()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const count = (pattern: RegExp) => plain().match(new RegExp(pattern, 'g'))?.length ?? 0;
    try {
      await until(/mxplan> /, 'the prompt');
      child.stdin.write('stat\t');
      await until(/mxplan> status/, 'status completed');
      child.stdin.write('\r');
      await until(/mail2 {6}up, 0 queued/, 'the status');
      child.stdin.write('\x1b[A\r'); // up arrow: the last line again
      await until(/(mail2 {6}up, 0 queued[\s\S]*){2}/, 'the status a second time');
      expect(count(/backup {5}up, 0 queued/)).toBe(2);
      child.stdin.write('help\r');
      await until(/route <address>/, 'the help');
      child.stdin.write('\x03'); // Ctrl-C
      expect(await exited).toBe(0);
      expect(plain()).toMatch(/mxplan: SIGINT: sandbox stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
