/** What the store sells: collections and their characters, when each collection drops, its status, prices and the
 *  stock left. Stock moves only through here: reserved by orders, released by expired ones, drained by competitors. */
import { stars, toNano, type Nano, type Stars } from '../../core/money.js';
import type { Clock } from './clock.js';
import { NotInScenario, StoreRefusal } from './refusal.js';
import type { CollectionScenario } from './scenario.js';

/** One character as clients see it at one moment. */
export interface CharacterView {
  readonly id: number;
  readonly name: string;
  readonly supply: number;
  readonly left: number;
  readonly priceStars: Stars;
  readonly priceTon: Nano;
  readonly rarity: string;
}

/** One collection as clients see it at one moment. */
export interface CollectionView {
  readonly id: number;
  readonly title: string;
  readonly status: 'active' | 'inactive';
  readonly dropAt: number;
  readonly characters: readonly CharacterView[];
}

/** A stock line for the admin API and tests. */
export interface StockLine {
  readonly collectionId: number;
  readonly characterId: number;
  readonly supply: number;
  readonly left: number;
}

interface CharacterState {
  readonly id: number;
  readonly name: string;
  readonly supply: number;
  left: number;
  readonly priceStars: Stars;
  readonly priceTon: Nano;
  readonly rarity: string;
}

interface CollectionState {
  readonly id: number;
  readonly title: string;
  readonly status: 'active' | 'inactive';
  dropAt: number;
  /** Listed from `dropAt + listedAfterMs`. */
  readonly listedAfterMs: number;
  readonly characters: Map<number, CharacterState>;
}

/** The store's catalog and stock. Times are epoch ms from the injected clock. */
export class Catalog {
  private readonly collections = new Map<number, CollectionState>();

  constructor(
    scenario: readonly CollectionScenario[],
    private readonly clock: Clock,
  ) {
    for (const c of scenario) {
      const characters = new Map<number, CharacterState>();
      for (const ch of c.characters) {
        characters.set(ch.id, {
          id: ch.id,
          name: ch.name,
          supply: ch.supply,
          left: ch.left ?? ch.supply,
          priceStars: stars(ch.priceStars),
          priceTon: toNano(ch.priceTon),
          rarity: ch.rarity ?? 'common',
        });
      }
      this.collections.set(c.id, {
        id: c.id, title: c.title, status: c.status ?? 'active', dropAt: c.dropAt, listedAfterMs: c.listedAfterMs ?? 0, characters,
      });
    }
  }

  /** Collections published by now, in id order. */
  published(): CollectionView[] {
    const now = this.clock();
    return [...this.collections.values()]
      .filter((c) => c.dropAt <= now)
      .sort((a, b) => a.id - b.id)
      .map(view);
  }

  /** Collections the store's listing (`GET /collections`) shows by now, in id order: published, and past their
   *  `listedAfterMs` (a collection may be reachable by id before it is listed). */
  listed(): CollectionView[] {
    const now = this.clock();
    return [...this.collections.values()]
      .filter((c) => c.dropAt + c.listedAfterMs <= now)
      .sort((a, b) => a.id - b.id)
      .map(view);
  }

  /** A published collection; unknown and not-yet-dropped ones are both `collection_not_found`, as at the real store. */
  collection(collectionId: number): CollectionView {
    return view(this.publishedState(collectionId));
  }

  /** A character of a published collection. */
  character(collectionId: number, characterId: number): CharacterView {
    return characterView(this.characterState(this.publishedState(collectionId), characterId));
  }

  /** Takes `count` packs for an order from an active, published collection; refuses when it cannot. */
  reserve(collectionId: number, characterId: number, count: number): CharacterView {
    const collection = this.publishedState(collectionId);
    const character = this.characterState(collection, characterId);
    if (collection.status !== 'active') {
      throw new StoreRefusal('collection_inactive', `collection ${collectionId} is not on sale`, { collectionId });
    }
    if (character.left === 0) {
      throw new StoreRefusal('sold_out', `character ${characterId} of collection ${collectionId} is sold out`, {
        collectionId,
        characterId,
      });
    }
    if (character.left < count) {
      throw new StoreRefusal('not_enough_stock', `only ${character.left} packs left, ${count} asked`, {
        collectionId,
        characterId,
        left: character.left,
        count,
      });
    }
    character.left -= count;
    return characterView(character);
  }

  /** Gives back packs an unpaid order held; stock never rises above supply. */
  release(collectionId: number, characterId: number, count: number): void {
    const character = this.known(collectionId, characterId);
    character.left = Math.min(character.supply, character.left + count);
  }

  /** Takes up to `count` packs for a competing buyer; returns how many it got (never drives `left` below 0). */
  drain(collectionId: number, characterId: number, count: number): number {
    const character = this.known(collectionId, characterId);
    const taken = Math.min(character.left, Math.max(0, Math.floor(count)));
    character.left -= taken;
    return taken;
  }

  /** Moves a collection's drop to `atMs` (epoch ms). */
  scheduleDrop(collectionId: number, atMs: number): void {
    if (!Number.isSafeInteger(atMs) || atMs < 0) throw new RangeError('drop time must be a non-negative epoch ms integer');
    this.collectionState(collectionId).dropAt = atMs;
  }

  /** Packs left, whether or not the collection has dropped. */
  stock(collectionId: number, characterId: number): number {
    return this.known(collectionId, characterId).left;
  }

  /** Every collection, published or not, with its drop time and status (competitors and admins see all). */
  all(): CollectionView[] {
    return [...this.collections.values()].sort((a, b) => a.id - b.id).map(view);
  }

  /** Every stock line, in collection then character order. */
  stockLines(): StockLine[] {
    return this.all().flatMap((c) =>
      c.characters.map((ch) => ({ collectionId: c.id, characterId: ch.id, supply: ch.supply, left: ch.left })),
    );
  }

  private publishedState(collectionId: number): CollectionState {
    const collection = this.collections.get(collectionId);
    if (!collection || collection.dropAt > this.clock()) {
      throw new StoreRefusal('collection_not_found', `collection ${collectionId} is not published`, { collectionId });
    }
    return collection;
  }

  private characterState(collection: CollectionState, characterId: number): CharacterState {
    const character = collection.characters.get(characterId);
    if (!character) {
      throw new StoreRefusal('character_not_found', `collection ${collection.id} has no character ${characterId}`, {
        collectionId: collection.id,
        characterId,
      });
    }
    return character;
  }

  private collectionState(collectionId: number): CollectionState {
    const collection = this.collections.get(collectionId);
    if (!collection) throw new NotInScenario(`collection ${collectionId}`, { collectionId });
    return collection;
  }

  private known(collectionId: number, characterId: number): CharacterState {
    const character = this.collectionState(collectionId).characters.get(characterId);
    if (!character) {
      throw new NotInScenario(`character ${characterId} in collection ${collectionId}`, { collectionId, characterId });
    }
    return character;
  }
}

function view(c: CollectionState): CollectionView {
  return {
    id: c.id,
    title: c.title,
    status: c.status,
    dropAt: c.dropAt,
    characters: [...c.characters.values()].sort((a, b) => a.id - b.id).map(characterView),
  };
}

function characterView(ch: CharacterState): CharacterView {
  return { ...ch };
}
