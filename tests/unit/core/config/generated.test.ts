import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generatedConfigFiles } from '../../../../core/config/generated-files.js';
import { configJsonSchema, renderConfigKeyTable } from '../../../../core/config/json-schema.js';
import { AutomintConfigSchema } from '../../../../core/config/schema.js';
import { unwrapInput } from '../../../../core/config/schema-walk.js';

/** Every declared key of the schema, with whether it (or a wrapper around it) carries a description. */
function keysWithDescriptions(schema: z.ZodType, path: string, out: [string, boolean][]): void {
  const node = unwrapInput(schema);
  if (node instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(node.shape as Record<string, z.ZodType>)) {
      const childPath = path ? `${path}.${key}` : key;
      let described = false;
      for (let layer: z.ZodType | undefined = child; layer; ) {
        if (layer.description) described = true;
        const inner: unknown = (layer.def as { innerType?: unknown; in?: unknown }).innerType ?? (layer.def as { in?: unknown }).in;
        layer = inner as z.ZodType | undefined;
      }
      out.push([childPath, described]);
      keysWithDescriptions(child, childPath, out);
    }
  } else if (node instanceof z.ZodArray) {
    keysWithDescriptions(node.element as z.ZodType, `${path}[]`, out);
  }
}

describe('generated configuration reference', () => {
  it('has config/schema.json and docs/configuration.md up to date with the schema', async () => {
    for (const file of await generatedConfigFiles('.')) {
      expect(file.committed, `${file.path} is stale; see "Regenerating" in docs/configuration.md`).toBe(file.expected);
    }
  });

  it('describes every key of the schema', () => {
    const keys: [string, boolean][] = [];
    keysWithDescriptions(AutomintConfigSchema, '', keys);
    expect(keys.length).toBeGreaterThan(30);
    expect(keys.filter(([, described]) => !described).map(([key]) => key)).toEqual([]);
  });

  it('lists every key of the schema in the key table', () => {
    const keys: [string, boolean][] = [];
    keysWithDescriptions(AutomintConfigSchema, '', keys);
    const table = renderConfigKeyTable();
    for (const [key] of keys) expect(table).toContain(`| \`${key}\` |`);
    expect(table).toMatch(/\| `wallets\[\]\.mnemonic` \| .* \| yes \|/);
  });

  it('writes defaults and the money pattern into the JSON Schema', () => {
    const schema = configJsonSchema() as { properties: Record<string, { default?: unknown; properties?: Record<string, { pattern?: string; default?: unknown }> }> };
    expect(schema.properties['profile']!.default).toBe('balanced');
    // Budgets are keyed by any currency code a plugin declares: the key pattern and the money pattern of each value.
    expect(schema.properties['budget']).toMatchObject({
      propertyNames: { pattern: '^[A-Z][A-Z0-9]{1,9}$' }, additionalProperties: { pattern: '^\\d+(\\.\\d+)?$' },
    });
  });
});
