/** Limiter state: one row per rate-limit pool, replaced on every save, so the table stays as small as the set of
 *  pools (accounts and outgoing IPs). The limiter actor loads it when it starts — a ban window and an open circuit
 *  survive a restart — and writes bans, breakers and learned limits at most once per 10 s
 *  (core/actors/write-behind.ts), everything (token levels too) when the run ends. */
import type { Kysely, Selectable } from 'kysely';
import type { LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { LedgerSchema } from './schema.js';

/** The table as kysely sees it (migration 002). */
export interface LimiterStateTable {
  pool: string;
  tokens: number;
  blocked_until: number;
  breaker_state: 'closed' | 'open';
  breaker_opened_at: number | null;
  breaker_failures: number;
  learned_limit: number | null;
  learned_window_ms: number | null;
  updated_at: number;
}

/** One pool's state as persisted. Times are epoch ms. */
export interface PoolSnapshot {
  /** `account:<name>` or `ip:<proxy|direct>`. */
  readonly pool: string;
  /** Tokens in the bucket at `updatedAt`. */
  readonly tokens: number;
  /** Nothing goes out before this (0: no ban). */
  readonly blockedUntil: number;
  /** A half-open breaker is saved as open. */
  readonly breakerState: 'closed' | 'open';
  readonly breakerOpenedAt: number | null;
  /** Consecutive failures counted towards opening. */
  readonly breakerFailures: number;
  /** Requests per window the store's headers taught, with the window's length; null until both are known. */
  readonly learnedLimit: number | null;
  readonly learnedWindowMs: number | null;
  readonly updatedAt: number;
}

type Db = Kysely<LedgerSchema & { limiter_state: LimiterStateTable }>;

function toSnapshot(r: Selectable<LimiterStateTable>): PoolSnapshot {
  return {
    pool: r.pool,
    tokens: r.tokens,
    blockedUntil: r.blocked_until,
    breakerState: r.breaker_state,
    breakerOpenedAt: r.breaker_opened_at,
    breakerFailures: r.breaker_failures,
    learnedLimit: r.learned_limit,
    learnedWindowMs: r.learned_window_ms,
    updatedAt: r.updated_at,
  };
}

export class LimiterStateRepository {
  private readonly db: Db;

  constructor(private readonly conn: LedgerConnection) {
    this.db = conn.db.withTables<{ limiter_state: LimiterStateTable }>();
  }

  /** Every saved pool, in no particular order. */
  async load(): Promise<PoolSnapshot[]> {
    return (await this.db.selectFrom('limiter_state').selectAll().execute()).map(toSnapshot);
  }

  /** Replaces the saved state of every pool given, in one transaction. Refuses a snapshot the table cannot hold
   *  faithfully (a negative or non-finite count, a time that is not epoch ms) with INVALID_INPUT, saving nothing. */
  async save(snapshots: readonly PoolSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    const rows = snapshots.map(toRow);
    const upsert = this.db
      .insertInto('limiter_state')
      .values(rows)
      .onConflict((oc) =>
        oc.column('pool').doUpdateSet((eb) => ({
          tokens: eb.ref('excluded.tokens'),
          blocked_until: eb.ref('excluded.blocked_until'),
          breaker_state: eb.ref('excluded.breaker_state'),
          breaker_opened_at: eb.ref('excluded.breaker_opened_at'),
          breaker_failures: eb.ref('excluded.breaker_failures'),
          learned_limit: eb.ref('excluded.learned_limit'),
          learned_window_ms: eb.ref('excluded.learned_window_ms'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returning('pool');
    // Through immediate(): SQLite failures come out as LedgerError BUSY / STORAGE_FAILED like every other write.
    await this.conn.immediate((tx) => tx.all(upsert));
  }
}

function toRow(s: PoolSnapshot): LimiterStateTable {
  const invalid = (what: string): LedgerError =>
    new LedgerError('INVALID_INPUT', `limiter state of ${s.pool}: ${what}`, { pool: s.pool });
  if (s.pool.length === 0 || s.pool.length > 200) throw invalid('pool name must be 1–200 characters');
  if (!Number.isFinite(s.tokens) || s.tokens < -1e-6) throw invalid('tokens must be a finite non-negative number');
  for (const [field, value] of [['blockedUntil', s.blockedUntil], ['updatedAt', s.updatedAt], ['breakerFailures', s.breakerFailures]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${field} must be a non-negative integer`);
  }
  if (s.breakerOpenedAt !== null && (!Number.isSafeInteger(s.breakerOpenedAt) || s.breakerOpenedAt < 0)) {
    throw invalid('breakerOpenedAt must be epoch milliseconds');
  }
  if (s.breakerState === 'open' && s.breakerOpenedAt === null) throw invalid('an open breaker needs breakerOpenedAt');
  for (const [field, value] of [['learnedLimit', s.learnedLimit], ['learnedWindowMs', s.learnedWindowMs]] as const) {
    if (value !== null && (!Number.isSafeInteger(value) || value <= 0)) throw invalid(`${field} must be a positive integer`);
  }
  return {
    pool: s.pool,
    tokens: Math.max(0, s.tokens),
    blocked_until: s.blockedUntil,
    breaker_state: s.breakerState,
    breaker_opened_at: s.breakerOpenedAt,
    breaker_failures: s.breakerFailures,
    learned_limit: s.learnedLimit,
    learned_window_ms: s.learnedWindowMs,
    updated_at: s.updatedAt,
  };
}
