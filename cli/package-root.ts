/** Where the installed package lives, whether running from the TypeScript sources or from `dist/`. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'automint') return { root: dir, version: json.version ?? '0.0.0' };
    }
    const up = path.dirname(dir);
    if (up === dir) return { root: process.cwd(), version: '0.0.0' };
    dir = up;
  }
}

/** The package's root folder (holds `config/`, `docs/`). */
export function packageRoot(): string {
  return (cached ??= find()).root;
}

/** The package version. */
export function packageVersion(): string {
  return (cached ??= find()).version;
}
