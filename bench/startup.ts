/** `npm run bench:startup [-- RUNS]`: how long `automint --help` takes against bare `node -e 0`, median of RUNS
 *  (default 15) alternating runs, as one JSON object. The CLI loads heavy modules only in the commands that use them. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round2 } from './median.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const runs = Number(process.argv[2] ?? 15);
const time = (args: string[]): number => {
  const t = performance.now();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return performance.now() - t;
};
const bare: number[] = [];
const help: number[] = [];
for (let i = 0; i < runs; i++) {
  bare.push(time(['-e', '0']));
  help.push(time([cli, '--help']));
}
const b = median(bare);
const h = median(help);
console.log(JSON.stringify({ runs, bareNodeMs: round2(b), helpMs: round2(h), ratio: round2(h / b) }));
