/** What publishing ships: `npm run build` compiles src/ to dist/ (JavaScript and declarations), the built entry
 *  loads in plain Node as automint loads it (a branded manifest as the default export), and the package tarball holds
 *  dist/, package.json and the README only (`files`), never the sources or these tests. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

beforeAll(async () => {
  await run(npm, ['run', '--silent', 'build'], { cwd: here });
}, 60_000);

describe('the published package', () => {
  it('loads its built entry in plain Node: a notifier manifest with id webhook', async () => {
    const script = "const m = (await import('automint-webhook-notifier')).default; console.log(JSON.stringify([m.$$type, m.kind, m.id, m.secretKeys]));";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: here });
    expect(JSON.parse(stdout)).toEqual(['automint.plugin/1', 'notifier', 'webhook', ['token']]);
  });

  it('packs dist/, package.json and the README, with the entry and its declarations, and nothing else', async () => {
    const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: here });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => !['package.json', 'README.md'].includes(f) && !f.startsWith('dist/'))).toEqual([]);
  });
});
