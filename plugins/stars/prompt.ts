/** Questions on the terminal for interactive commands: one readline over stdin, answers trimmed; a secret answer is
 *  not echoed when stdin is a terminal. Piped input (tests, scripts) is read line by line. */
import { createInterface, type Interface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { AutomintError } from '../../core/errors.js';

/** Asks questions one after the other. */
export class Prompter {
  private readonly rl: Interface;
  private readonly lines: string[] = [];
  private readonly waiting: ((line: string | null) => void)[] = [];
  private ended = false;
  private readonly out: NodeJS.WritableStream;
  private muted = false;

  constructor(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr) {
    this.out = output;
    // Output goes through a filter so a secret answer's echo can be swallowed.
    const echo = new PassThrough();
    echo.on('data', (chunk: Buffer) => {
      if (!this.muted) output.write(chunk);
    });
    this.rl = createInterface({ input, output: echo, terminal: (input as { isTTY?: boolean }).isTTY === true });
    this.rl.on('line', (line) => {
      const next = this.waiting.shift();
      if (next) next(line);
      else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  /** The answer to `question`; `secret` answers are not echoed. */
  async ask(question: string, opts: { secret?: boolean } = {}): Promise<string> {
    this.out.write(question);
    this.muted = opts.secret === true;
    try {
      const line = this.lines.shift() ?? (this.ended ? null : await new Promise<string | null>((resolve) => this.waiting.push(resolve)));
      if (line === null) throw new AutomintError('INPUT_ENDED', `no answer to "${question.trim()}": input ended`);
      return line.trim();
    } finally {
      if (this.muted) this.out.write('\n');
      this.muted = false;
    }
  }

  close(): void {
    this.rl.close();
  }
}
