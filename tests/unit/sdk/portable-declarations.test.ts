/** A plugin built outside this repository, against the built SDK linked as `automint` (as `npm install
 *  automint@file:…` links it), emits its declarations: the manifest `definePlugin` returns is named from
 *  automint/plugin, never through zod types under automint's own node_modules (TS2742, which an author met). */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve('.');
const dir = mkdtempSync(path.join(os.tmpdir(), 'automint-portable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a plugin built outside the repository', () => {
  it('emits its declarations with definePlugin and the host’s z, no type annotation needed', () => {
    expect(existsSync(path.join(ROOT, 'dist/sdk/plugin.d.ts'))).toBe(true);
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(dir, 'node_modules/automint'), 'dir');
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'outside-plugin', type: 'module' }));
    // The schema in a module of its own, as the docs lay a plugin out: the manifest's type cannot borrow its name.
    writeFileSync(path.join(dir, 'src/config.ts'), "import { z } from 'automint/plugin';\nexport const schema = z.object({ path: z.string() }).strict();\n");
    writeFileSync(
      path.join(dir, 'src/index.ts'),
      [
        "import { definePlugin, NOTIFIER } from 'automint/plugin';",
        "import { schema } from './config.js';",
        'export default definePlugin({',
        "  kind: 'notifier', id: 'outside', description: 'a notifier', hostVersion: '^1', configSchema: schema,",
        '  register(container, config) { container.register(NOTIFIER, { useValue: { id: config.path, subscribe: () => undefined } }); },',
        '});',
      ].join('\n'),
    );
    const program = ts.createProgram([path.join(dir, 'src/index.ts')], {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true, skipLibCheck: true, declaration: true, outDir: path.join(dir, 'dist'), rootDir: path.join(dir, 'src'),
    });
    const emitted = program.emit();
    const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
    expect(existsSync(path.join(dir, 'dist/index.d.ts'))).toBe(true);
  });
});
