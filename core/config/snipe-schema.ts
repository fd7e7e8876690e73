/** The `match` block of a snipe filter (`snipe[].match`): which newly listed collections and characters a filter
 *  buys. Every key is optional and the keys set must all hold (an empty `match` takes every character of every new
 *  collection). Name patterns are core/snipe/name-pattern.ts's: `/regex/` or a glob, case-insensitive. What to buy
 *  and how (packs, prices, methods, accounts, budget, split) is the filter's other keys, the same as a target's. */
import { z } from 'zod';
import { starsAmount, tonAmount } from './amount-keys.js';
import { namePattern, PatternInvalid } from '../snipe/name-pattern.js';

/** How many of the matched characters of one collection a filter buys. */
export const PICKS = ['all', 'cheapest', 'rarest'] as const;

const pattern = (what: string) =>
  z
    .string()
    .superRefine((text, ctx) => {
      try {
        namePattern(text);
      } catch (e) {
        if (!(e instanceof PatternInvalid)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message });
      }
    })
    .optional()
    .describe(`${what}: \`/regex/\` (searched anywhere in the name, e.g. "/dog/") or a glob matched against the whole name ("Golden*": \`*\` any characters, \`?\` one). Case is ignored either way.`);

const id = z.number().int().positive();
const count = z.number().int().nonnegative();

export const SnipeMatchSchema = z
  .object({
    title: pattern('Collection title pattern'),
    collections: z
      .object({
        from: id.optional().describe('Lowest collection id taken (inclusive).'),
        to: id.optional().describe('Highest collection id taken (inclusive).'),
      })
      .strict()
      .optional()
      .describe('Collection id range; either end may be left open.'),
    character: pattern('Character name pattern'),
    rarity: z
      .array(z.string().min(1).max(50))
      .min(1, { error: 'list at least one rarity, or leave the key out for any' })
      .optional()
      .describe('Rarities taken (the store\'s `rarity`, e.g. [rare, legendary]; case is ignored). A character whose rarity the store does not say is not taken.'),
    supply: z
      .object({
        min: count.optional().describe('Fewest packs ever made (inclusive).'),
        max: count.optional().describe('Most packs ever made (inclusive).'),
      })
      .strict()
      .optional()
      .describe('Supply range (packs ever made). A character whose supply the store does not say is not taken.'),
    price: z
      .object({
        TON: tonAmount('Highest listed price per pack').optional(),
        XTR: starsAmount('Highest listed price per pack').optional(),
      })
      .strict()
      .optional()
      .describe('Highest listed price per pack a character may have to be taken, per currency (Stars from the collection, TON from the store\'s price list). A price the store does not say is not taken. Unlike `maxPricePerPack`, which refuses an order, this decides whether the character is wanted at all.'),
    pick: z
      .object({
        by: z.enum(PICKS).default('all').describe('`all` matched characters, or the `count` `cheapest` (lowest Stars price per pack) or `rarest` (lowest supply) of them; ties go to the lower character id.'),
        count: z.number().int().min(1).max(1_000).default(1).describe('For `cheapest` and `rarest`: how many characters of each collection.'),
      })
      .strict()
      .prefault({})
      .describe('Which of a collection\'s matched characters are bought.'),
  })
  .strict()
  .prefault({})
  .describe('Which new collections and characters the filter buys: every key set must hold. Leave it empty to buy every character of every new collection.');

export type SnipeMatchConfig = z.output<typeof SnipeMatchSchema>;

/** Problems between keys of one `match` (a range whose ends are swapped), as `[path under match, message]`. */
export function matchIssues(m: SnipeMatchConfig): Array<[(string | number)[], string]> {
  const issues: Array<[(string | number)[], string]> = [];
  const { collections, supply } = m;
  if (collections && collections.from === undefined && collections.to === undefined) issues.push([['collections'], 'set from, to or both']);
  if (collections?.from !== undefined && collections.to !== undefined && collections.from > collections.to) {
    issues.push([['collections', 'to'], `to (${collections.to}) is below from (${collections.from})`]);
  }
  if (supply && supply.min === undefined && supply.max === undefined) issues.push([['supply'], 'set min, max or both']);
  if (supply?.min !== undefined && supply.max !== undefined && supply.min > supply.max) {
    issues.push([['supply', 'max'], `max (${supply.max}) is below min (${supply.min})`]);
  }
  if (m.price && m.price.TON === undefined && m.price.XTR === undefined) issues.push([['price'], 'set TON, XTR or both']);
  return issues;
}
