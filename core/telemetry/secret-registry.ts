/** The process-wide list of secret values (mnemonics, JWTs, tokens, initData, passwords) that must never be shown,
 *  and the scrubbing that replaces them in any text: log lines, formatted errors, anything printed. Whoever obtains
 *  a secret registers it at once; the logger scrubs every line against this list when the line is written. */

/** What a secret is replaced with, in logs and everywhere else. */
export const REDACTED = '[redacted]';

/** Shorter values are ignored: scrubbing them would mangle common words and numbers. */
const MIN_SECRET_LENGTH = 6;

/** Between two words of a phrase: whitespace, commas, quotes and brackets (a word list printed as a JSON array),
 *  JSON escapes of a newline or tab, and URL-encoded spaces. */
const PHRASE_SEPARATOR = String.raw`(?:[\s,;+"'\[\]]|\\[nrt"]|%20)+`;

const registry = new Set<string>();
const phrasePatterns = new Map<string, RegExp>();
const MAX_CACHED_PATTERNS = 256;

/** Registers one secret so it is scrubbed from every log line and formatted error from now on. A value with
 *  spaces (a mnemonic) is a phrase, matched whatever separates its words. */
export function registerSecret(value: string): void {
  const normalized = normalizeSecret(value);
  if (normalized.length >= MIN_SECRET_LENGTH) registry.add(normalized);
}

/** Registers several independent secrets (a config's token and mnemonic are two secrets, not one phrase). */
export function registerSecrets(values: Iterable<string>): void {
  for (const value of values) registerSecret(value);
}

/** Registers a word list (a mnemonic from `mnemonicNew()`) as one phrase. */
export function registerPhrase(words: readonly string[]): void {
  registerSecret(words.join(' '));
}

/** Every registered secret, for the logger's `secrets` option. */
export function knownSecrets(): string[] {
  return [...registry];
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function scrub(text: string): string {
  return registry.size === 0 ? text : scrubWith(text, registry);
}

/** `text` with every value of `secrets` replaced by `[redacted]`: the literal value, its JSON-escaped and
 *  URL-encoded forms, and for a phrase the words in order whatever separates them. Values under 6 chars are skipped. */
export function scrubWith(text: string, secrets: Iterable<string>): string {
  const values = [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH);
  // Longest first, so a secret that contains another is replaced whole.
  values.sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of values) {
    for (const form of literalForms(secret)) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
    const words = phraseWords(secret);
    if (words.length > 1 && out.includes(words[0]!)) out = out.replace(phrasePattern(words), REDACTED);
  }
  return out;
}

function normalizeSecret(value: string): string {
  const text = value.trim();
  const words = phraseWords(text);
  return words.length > 1 ? words.join(' ') : text;
}

function phraseWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

function literalForms(secret: string): Set<string> {
  return new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
}

function phrasePattern(words: readonly string[]): RegExp {
  const key = words.join(' ');
  let pattern = phrasePatterns.get(key);
  if (pattern === undefined) {
    if (phrasePatterns.size >= MAX_CACHED_PATTERNS) phrasePatterns.clear();
    pattern = new RegExp(words.map(escapeRegExp).join(PHRASE_SEPARATOR), 'g');
    phrasePatterns.set(key, pattern);
  }
  return pattern;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
