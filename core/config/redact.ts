/** Configuration safe to show: secrets replaced, amounts written back as decimal text, so `automint config show`
 *  prints YAML that loads again. Also the list of secret values the logger redacts wherever they appear. */
import { formatAmount, isKnownCurrency } from '../money.js';
import type { ConfigPath } from './config-path.js';
import type { AutomintConfig } from './schema.js';
import { isCredentialUrlPath, isSecretPath } from './secret-paths.js';
import { parseProxy, showProxy } from '../store/proxy.js';

export const REDACTED = '[redacted]';

/** A configuration as plain data: strings, numbers, booleans, lists and maps only. */
export type PlainConfig = { [key: string]: PlainValue };
export type PlainValue = string | number | boolean | null | PlainValue[] | PlainConfig;

function plain(value: unknown, path: ConfigPath): PlainValue | undefined {
  if (value === undefined) return undefined;
  if (isSecretPath(path)) return REDACTED;
  if (isCredentialUrlPath(path) && typeof value === 'string') return showProxy(value);
  if (typeof value === 'bigint') {
    const key = path[path.length - 1];
    return isKnownCurrency(key) ? formatAmount(key, value) : value.toString();
  }
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item, i) => plain(item, [...path, i]) ?? null);
  if (typeof value === 'object') {
    const out: PlainConfig = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = plain(item, [...path, key]);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  return String(value);
}

/** A copy of the configuration with every secret as '[redacted]' and every amount as decimal text. */
export function redactConfig(cfg: AutomintConfig): PlainConfig {
  return plain(cfg, []) as PlainConfig;
}

/** Every non-empty secret value in a configuration tree (validated or raw), for redaction by value. */
export function secretValues(cfg: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, path: ConfigPath): void => {
    if (isSecretPath(path)) {
      addLeaves(value, found);
      return;
    }
    if (isCredentialUrlPath(path) && typeof value === 'string') {
      for (const secret of urlSecrets(value)) found.add(secret);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    }
  };
  walk(cfg, []);
  return [...found];
}

/** Every text and number in a secret value: the value itself, or everything inside it when a plugin marked a whole
 *  block (`secretKeys: ['accounts']`) secret. */
function addLeaves(value: unknown, found: Set<string>): void {
  if ((typeof value === 'string' && value.trim() !== '') || typeof value === 'number') found.add(String(value));
  else if (Array.isArray(value)) value.forEach((item) => addLeaves(item, found));
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach((item) => addLeaves(item, found));
}

/** The secrets of a URL with credentials: its password (raw and as written in the URL) and the whole URL; a value that
 *  is not a proxy URL is a secret whole. */
function urlSecrets(value: string): string[] {
  try {
    const proxy = parseProxy(value);
    if (proxy.password === undefined) return [];
    return [proxy.password, encodeURIComponent(proxy.password), proxy.url];
  } catch {
    return value.trim() === '' ? [] : [value];
  }
}
