/** The campaign row: the spec (targets, packs, budgets) a ledger was first started with, as canonical JSON and its
 *  sha256. A run compares its own spec with it before buying, so a changed config is noticed, never silently taken. */
import { createHash } from 'node:crypto';
import type { LedgerConnection } from './connection.js';

/** The stored campaign. */
export interface StoredCampaign {
  readonly fingerprint: string;
  /** The spec as the run that stored it wrote it (JSON). */
  readonly spec: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** sha256 (hex) of a spec's canonical JSON. */
export function campaignFingerprint(specJson: string): string {
  return createHash('sha256').update(specJson).digest('hex');
}

export class CampaignRecord {
  constructor(private readonly conn: LedgerConnection) {}

  /** The stored campaign, or undefined for a ledger no run has started yet. */
  async get(): Promise<StoredCampaign | undefined> {
    const row = await this.conn.db.selectFrom('campaign').selectAll().where('id', '=', 1).executeTakeFirst();
    return row && { fingerprint: row.fingerprint, spec: JSON.parse(row.spec) as unknown, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  /** Stores `specJson` (canonical JSON) as the campaign, keeping when it was first created. */
  async put(specJson: string): Promise<StoredCampaign> {
    const now = this.conn.now();
    const fingerprint = campaignFingerprint(specJson);
    await this.conn.db
      .insertInto('campaign')
      .values({ id: 1, fingerprint, spec: specJson, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ fingerprint, spec: specJson, updated_at: now }))
      .execute();
    return (await this.get())!;
  }
}
