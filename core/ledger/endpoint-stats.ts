/** Endpoint stats: the health of each store base URL, kept across runs (one row per URL, replaced on every save).
 *  The endpoints actor loads them when it starts, writes a URL's failure run at most once per 10 s
 *  (core/actors/write-behind.ts) and everything when the run ends. */
import type { Kysely, Selectable } from 'kysely';
import type { LedgerConnection } from './connection.js';
import { LedgerError } from './ledger-error.js';
import type { LedgerSchema } from './schema.js';

/** The table as kysely sees it (migration 003). */
export interface EndpointStatsTable {
  base_url: string;
  ok: number;
  failed: number;
  bad_run: number;
  latency_ms: number | null;
  last_bad_at: number | null;
  updated_at: number;
}

/** The saved health of one base URL. */
export interface SavedEndpointStats {
  readonly baseUrl: string;
  /** Answered calls (any status below 500). */
  readonly ok: number;
  /** Transport failures and 5xx answers. */
  readonly failed: number;
  /** Bad outcomes in a row when it was saved. */
  readonly badRun: number;
  /** Smoothed latency of answered calls, ms. */
  readonly latencyMs: number | null;
  /** Epoch ms of the last bad outcome or recovery probe. */
  readonly lastBadAt: number | null;
}

type Db = Kysely<LedgerSchema & { endpoint_stats: EndpointStatsTable }>;

function toSaved(r: Selectable<EndpointStatsTable>): SavedEndpointStats {
  return { baseUrl: r.base_url, ok: r.ok, failed: r.failed, badRun: r.bad_run, latencyMs: r.latency_ms, lastBadAt: r.last_bad_at };
}

export class EndpointStatsRepository {
  private readonly db: Db;

  constructor(private readonly conn: LedgerConnection) {
    this.db = conn.db.withTables<{ endpoint_stats: EndpointStatsTable }>();
  }

  /** The saved stats of `baseUrls` (every saved URL when omitted), in no particular order. */
  async load(baseUrls?: readonly string[]): Promise<SavedEndpointStats[]> {
    if (baseUrls !== undefined && baseUrls.length === 0) return [];
    let query = this.db.selectFrom('endpoint_stats').selectAll();
    if (baseUrls !== undefined) query = query.where('base_url', 'in', [...baseUrls]);
    return (await query.execute()).map(toSaved);
  }

  /** Replaces the saved stats of every URL given, in one transaction. Refuses counts that are not non-negative
   *  integers or a latency that is not a finite non-negative number with INVALID_INPUT, saving nothing. */
  async save(stats: readonly SavedEndpointStats[]): Promise<void> {
    if (stats.length === 0) return;
    const now = this.conn.now();
    const rows = stats.map((s) => {
      for (const field of ['ok', 'failed', 'badRun'] as const) {
        if (!Number.isSafeInteger(s[field]) || s[field] < 0) {
          throw new LedgerError('INVALID_INPUT', `endpoint ${field} must be a non-negative integer`, { baseUrl: s.baseUrl, [field]: s[field] });
        }
      }
      if (s.latencyMs !== null && !(Number.isFinite(s.latencyMs) && s.latencyMs >= 0)) {
        throw new LedgerError('INVALID_INPUT', 'endpoint latency must be a finite non-negative number', { baseUrl: s.baseUrl });
      }
      if (s.lastBadAt !== null && !Number.isSafeInteger(s.lastBadAt)) {
        throw new LedgerError('INVALID_INPUT', 'endpoint lastBadAt must be epoch milliseconds', { baseUrl: s.baseUrl });
      }
      return {
        base_url: s.baseUrl, ok: s.ok, failed: s.failed, bad_run: s.badRun, latency_ms: s.latencyMs,
        last_bad_at: s.lastBadAt, updated_at: now,
      };
    });
    const upsert = this.db
      .insertInto('endpoint_stats')
      .values(rows)
      .onConflict((oc) =>
        oc.column('base_url').doUpdateSet((eb) => ({
          ok: eb.ref('excluded.ok'),
          failed: eb.ref('excluded.failed'),
          bad_run: eb.ref('excluded.bad_run'),
          latency_ms: eb.ref('excluded.latency_ms'),
          last_bad_at: eb.ref('excluded.last_bad_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returning('base_url');
    // Through immediate(): SQLite failures come out as LedgerError BUSY / STORAGE_FAILED like every other write.
    await this.conn.immediate((tx) => tx.all(upsert));
  }
}
