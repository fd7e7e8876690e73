/** The committed files generated from the schema, and how to rewrite them after the schema changes:
 *  `npm run build && node -e "import('./dist/core/config/generated-files.js').then((m) => m.writeGeneratedConfigFiles('.'))"`. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderConfigSchemaJson, renderConfigurationDoc } from './json-schema.js';

/** A generated file: its path under the project root, what is committed and what the schema produces. */
export type GeneratedFile = { readonly path: string; readonly committed: string; readonly expected: string };

export const SCHEMA_JSON_PATH = 'config/schema.json';
export const CONFIGURATION_DOC_PATH = 'docs/configuration.md';

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** The generated files as committed under `root` and as the schema would write them now. */
export async function generatedConfigFiles(root: string): Promise<GeneratedFile[]> {
  const schemaJson = await readOrEmpty(join(root, SCHEMA_JSON_PATH));
  const doc = await readOrEmpty(join(root, CONFIGURATION_DOC_PATH));
  return [
    { path: SCHEMA_JSON_PATH, committed: schemaJson, expected: renderConfigSchemaJson() },
    { path: CONFIGURATION_DOC_PATH, committed: doc, expected: renderConfigurationDoc(doc) },
  ];
}

/** Rewrites the generated files under `root` that differ from the schema; returns the paths written. */
export async function writeGeneratedConfigFiles(root: string): Promise<string[]> {
  const written: string[] = [];
  for (const file of await generatedConfigFiles(root)) {
    if (file.committed === file.expected) continue;
    await writeFile(join(root, file.path), file.expected);
    written.push(file.path);
  }
  return written;
}
