/** The one list of configuration keys that hold secrets. Redaction of `config show`, the logger's by-value redaction
 *  (through `secretValues`) and the "secret" column of the reference docs all read it, so a key marked here is
 *  hidden everywhere. Plugins add the keys of their own blocks (`secretKeys` in a manifest) when they are found,
 *  before any configuration is read, so theirs are hidden the same way. */
import type { ConfigPath } from './config-path.js';

/**
 * Path patterns, segments separated by dots: `name[]` is any element of the array `name`, `*` is any one key or index
 * and `**` any run of keys and indexes (including none). Key names match case-insensitively.
 */
export const SECRET_PATHS = [
  'accounts[].storeToken',
  'wallets[].mnemonic',
  'plugins.*.apiKey',
  'plugins.*.botToken',
  'plugins.*.apiHash',
  'plugins.*.session',
  '**.password',
  '**.secret',
] as const;

type Token = { kind: 'key'; name: string } | { kind: 'anyKey' } | { kind: 'index' } | { kind: 'deep' };

function compile(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (const part of pattern.split('.')) {
    if (part === '**') tokens.push({ kind: 'deep' });
    else if (part === '*') tokens.push({ kind: 'anyKey' });
    else if (part.endsWith('[]')) tokens.push({ kind: 'key', name: part.slice(0, -2).toLowerCase() }, { kind: 'index' });
    else tokens.push({ kind: 'key', name: part.toLowerCase() });
  }
  return tokens;
}

const COMPILED = SECRET_PATHS.map(compile);

/** Secret key patterns plugins declared, under their block (`plugins.voucher.voucherCode`). */
const declared = new Map<string, Token[]>();

/** Marks the keys `keys` of plugin `pluginId`'s block as secrets (patterns as above, relative to the block). */
export function declarePluginSecretKeys(pluginId: string, keys: readonly string[]): void {
  for (const key of keys) {
    const pattern = `plugins.${pluginId}.${key.trim()}`;
    if (!declared.has(pattern)) declared.set(pattern, compile(pattern));
  }
}

/** Every secret key pattern: the host's and those plugins declared. */
export function secretPathPatterns(): string[] {
  return [...SECRET_PATHS, ...declared.keys()];
}

function matches(tokens: readonly Token[], path: ConfigPath): boolean {
  const [token, ...rest] = tokens;
  if (!token) return path.length === 0;
  if (token.kind === 'deep') {
    for (let skip = 0; skip <= path.length; skip++) if (matches(rest, path.slice(skip))) return true;
    return false;
  }
  const [segment] = path;
  if (segment === undefined) return false;
  const ok =
    token.kind === 'index'
      ? typeof segment === 'number'
      : token.kind === 'anyKey' || (typeof segment === 'string' && segment.toLowerCase() === token.name);
  return ok && matches(rest, path.slice(1));
}

/** True when the value at `path` (array indexes as numbers) is a secret. */
export function isSecretPath(path: ConfigPath): boolean {
  return COMPILED.some((tokens) => matches(tokens, path)) || [...declared.values()].some((tokens) => matches(tokens, path));
}

/** Keys holding a URL whose password is a secret but whose host is not (a proxy): shown with the password replaced,
 *  and the password (and the whole URL) scrubbed by value from logs. */
export const CREDENTIAL_URL_PATHS = ['accounts[].proxy'] as const;

const COMPILED_URLS = CREDENTIAL_URL_PATHS.map(compile);

/** True when the value at `path` is a URL that may carry a password (see CREDENTIAL_URL_PATHS). */
export function isCredentialUrlPath(path: ConfigPath): boolean {
  return COMPILED_URLS.some((tokens) => matches(tokens, path));
}
