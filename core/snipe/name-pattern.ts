/** Name patterns of a snipe filter (`match.title`, `match.character`), one syntax for both: text between slashes is
 *  a regular expression searched anywhere in the name (`/dog/`, `/^gold(en)?\b/`), anything else a glob matched
 *  against the whole name (`Golden*`: `*` any run of characters, `?` one character, everything else literal). Both
 *  ignore case: a store's capitalisation is not something a filter should have to guess. */
import { AutomintError } from '../errors.js';

/** Longest pattern accepted: a filter is a few words, not a document. */
export const MAX_PATTERN_LENGTH = 200;

/** A pattern read from the config: how it was written, and the test it stands for. */
export interface NamePattern {
  /** As written in the config (`/dog/i`, `Golden*`). */
  readonly source: string;
  readonly kind: 'regex' | 'glob';
  /** True when `name` matches. */
  test(name: string): boolean;
}

/** A pattern that cannot be read: the message says why, for the config error that names its key. */
export class PatternInvalid extends AutomintError {
  constructor(source: string, why: string) {
    super('PATTERN_INVALID', why, { pattern: source.slice(0, 60) });
  }
}

const REGEX_FORM = /^\/(.+)\/([a-z]*)$/s;
/** Flags a filter may use; `g` and `y` would make `test` stateful, `d` and `v` change nothing here. */
const ALLOWED_FLAGS = new Set(['i', 'm', 's', 'u']);

/** Reads a pattern; throws PatternInvalid when it is empty, too long, or a regular expression that does not compile. */
export function namePattern(source: string): NamePattern {
  if (source.length === 0) throw new PatternInvalid(source, 'a pattern cannot be empty');
  if (source.length > MAX_PATTERN_LENGTH) throw new PatternInvalid(source, `a pattern is at most ${MAX_PATTERN_LENGTH} characters`);
  const regex = REGEX_FORM.exec(source);
  if (regex) {
    const [, body, flags] = regex as unknown as [string, string, string];
    const bad = [...flags].find((f) => !ALLOWED_FLAGS.has(f));
    if (bad !== undefined) throw new PatternInvalid(source, `flag "${bad}" is not allowed (use i, m, s or u)`);
    let compiled: RegExp;
    try {
      // Always case-insensitive: `i` is implied, written or not.
      compiled = new RegExp(body, [...new Set([...flags, 'i'])].join(''));
    } catch (e) {
      throw new PatternInvalid(source, `not a regular expression: ${(e as Error).message}`);
    }
    return { source, kind: 'regex', test: (name) => compiled.test(name) };
  }
  const compiled = new RegExp(`^${[...source].map(globPart).join('')}$`, 'isu');
  return { source, kind: 'glob', test: (name) => compiled.test(name) };
}

function globPart(ch: string): string {
  if (ch === '*') return '.*';
  if (ch === '?') return '.';
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
