/** Reference material generated from the schema: config/schema.json (for editors) and the key and profile tables
 *  of docs/configuration.md. A test compares the committed files with this output, so they cannot drift. */
import { z } from 'zod';
import { AutomintError } from '../errors.js';
import { CURRENCY_CODE } from '../money.js';
import type { ConfigPath } from './config-path.js';
import { PROFILE_NAMES, PROFILE_SUMMARIES, PROFILES } from './profiles.js';
import { AutomintConfigSchema } from './schema.js';
import { isSecretPath, SECRET_PATHS } from './secret-paths.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  [keyword: string]: unknown;
};

/** The JSON Schema of a configuration file (draft 2020-12), describing what may be written, defaults included. */
export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(AutomintConfigSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema,
    title: 'automint configuration',
    description: 'Configuration of automint. Generated from core/config/schema.ts; see docs/configuration.md.',
    ...rest,
  };
}

/** config/schema.json as committed. */
export function renderConfigSchemaJson(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

function typeName(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (node.type === 'array') return `list of ${node.items ? typeName(node.items) : 'values'}`;
  if (node.type === 'string' && node.pattern === '^\\d+(\\.\\d+)?$') return 'amount (decimal string)';
  if (node.type === 'string' && node.format === 'uri') return 'URL';
  if (node.type === 'string' && node.format === 'date-time') return 'ISO 8601 time';
  if (node.type === 'object') return 'map';
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
}

function defaultText(node: JsonSchema, required: boolean): string {
  if (node.default !== undefined) return `\`${JSON.stringify(node.default)}\``;
  return required ? 'required' : 'optional';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

type Row = { key: string; type: string; fallback: string; secret: boolean; description: string };

function collectRows(node: JsonSchema, path: ConfigPath, keyText: string, rows: Row[]): void {
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = [...path, key];
    const childKey = keyText ? `${keyText}.${key}` : key;
    rows.push({
      key: childKey,
      type: typeName(child),
      fallback: defaultText(child, required.has(key)),
      secret: isSecretPath(childPath),
      description: child.description ?? '',
    });
    descend(child, childPath, childKey, rows);
  }
  if (typeof node.additionalProperties === 'object') {
    const extra = node.additionalProperties;
    // A map keyed by currency code (budgets, price caps) says so; other maps are keyed by an id (plugins, shares).
    const keyName = (node['propertyNames'] as JsonSchema | undefined)?.pattern === CURRENCY_CODE.source ? '<currency>' : '<id>';
    const extraKey = `${keyText}.${keyName}`;
    rows.push({ key: extraKey, type: typeName(extra), fallback: 'optional', secret: false, description: extra.description ?? '' });
  }
}

function descend(node: JsonSchema, path: ConfigPath, keyText: string, rows: Row[]): void {
  if (node.type === 'object') collectRows(node, path, keyText, rows);
  else if (node.type === 'array' && node.items?.type === 'object') collectRows(node.items, [...path, 0], `${keyText}[]`, rows);
}

/** The markdown table of every configuration key: type, default, whether it is a secret, and what it does. */
export function renderConfigKeyTable(): string {
  const rows: Row[] = [];
  collectRows(configJsonSchema() as JsonSchema, [], '', rows);
  const lines = [
    '| Key | Type | Default | Secret | Description |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.fallback)} | ${r.secret ? 'yes' : ''} | ${cell(r.description)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The markdown table of the five profiles and every value each sets. */
export function renderProfileTable(): string {
  const lines = [
    '| Profile | Poll every | Request timeout | Retries | Retry after | Breaker opens after | Breaker cooldown | Rate-limit headroom | Longest wait | Blind after | Use |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...PROFILE_NAMES.map((name) => {
      const p = PROFILES[name];
      return (
        `| \`${name}\` | ${seconds(p.pollIntervalMs)} | ${seconds(p.requestTimeoutMs)} | ${p.retries} | ${seconds(p.retryDelayMs)} | ${p.breakerThreshold} failures | ` +
        `${seconds(p.breakerCooldownMs)} | ${p.safetyMarginPct} % | ${seconds(p.maxWaitMs)} | ` +
        `${p.blindAfterPolls} failed polls over ${seconds(p.blindAfterMs)} | ${cell(PROFILE_SUMMARIES[name])} |`
      );
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/** The markdown list of secret key patterns (the one list in secret-paths.ts). */
export function renderSecretList(): string {
  return `${SECRET_PATHS.map((pattern) => `- \`${pattern}\``).join('\n')}\n`;
}

const SECTIONS: Readonly<Record<string, () => string>> = {
  keys: renderConfigKeyTable,
  profiles: renderProfileTable,
  secrets: renderSecretList,
};

/** Fills the generated sections of docs/configuration.md (between `<!-- generated:NAME -->` and
 *  `<!-- /generated:NAME -->`) and leaves the hand-written prose around them as it is. */
export function renderConfigurationDoc(current: string): string {
  let out = current;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) {
      throw new AutomintError('DOC_SECTION_MISSING', `docs/configuration.md lacks the markers ${start} … ${end}`, { section: name });
    }
    out = `${out.slice(0, from + start.length)}\n${render()}${out.slice(to)}`;
  }
  return out;
}
