/**
 * Progress while verify runs, on stderr: on a terminal one live line per scenario (its count
 * grows as cases finish); elsewhere (CI) one plain line per scenario when it ends.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { CaseResult } from './context.js';

export class Progress {
  private readonly c: ChalkInstance;
  private counts = { pass: 0, fail: 0, skip: 0 };
  private title = '';
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly options: { live: boolean; color: boolean },
  ) {
    this.c = new Chalk({ level: options.color ? 1 : 0 });
  }

  start(name: string, title: string): void {
    this.counts = { pass: 0, fail: 0, skip: 0 };
    this.title = `${name}: ${title}`;
    if (this.options.live) this.draw('…');
  }

  /** A note on where the running scenario stands; shown on a terminal only. */
  status(text: string): void {
    if (this.options.live && Date.now() - this.lastDraw > 50) this.draw('…', text);
  }

  case(result: CaseResult): void {
    this.counts[result.status]++;
    // Redraw at most every 50 ms: thousands of cases must not flood the terminal.
    if (this.options.live && Date.now() - this.lastDraw > 50) this.draw('…');
  }

  end(_name: string, durationMs: number): void {
    const { pass, fail, skip } = this.counts;
    const mark = fail > 0 ? this.c.red('✖') : this.c.green('✔');
    const counts = `${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''} (${(durationMs / 1000).toFixed(1)} s)`;
    if (this.options.live) this.draw(mark, counts, true);
    else this.out.write(`${fail > 0 ? 'FAIL' : 'ok  '} ${this.title}: ${counts}\n`);
  }

  private draw(
    mark: string,
    counts = `${this.counts.pass + this.counts.fail + this.counts.skip} checked`,
    final = false,
  ): void {
    this.lastDraw = Date.now();
    this.out.write(`\r\x1b[2K${mark} ${this.title} ${this.c.dim(counts)}${final ? '\n' : ''}`);
  }
}
