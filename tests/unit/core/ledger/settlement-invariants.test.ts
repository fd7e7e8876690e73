import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { BudgetLimits } from '../../../../core/ledger/budget.js';
import { openLedger } from '../../../../core/ledger/database.js';
import type { Ledger } from '../../../../core/ledger/ledger.js';
import { LedgerError } from '../../../../core/ledger/ledger-error.js';
import type { IntentState, OrderState, ReservationState } from '../../../../core/ledger/schema.js';
import { moneyTables, tonIntent, tonOrder } from './ledger-fixtures.js';

const ACCOUNTS = ['alice', 'bob'] as const;
const purchaseOf = (account: string) => `19:2:${account}`;

type Step =
  | { kind: 'reserve'; amount: bigint; account: (typeof ACCOUNTS)[number] }
  | { kind: 'order'; pick: number; percent: bigint }
  | { kind: 'record'; pick: number }
  | { kind: 'settle'; pick: number; outcome: 'paid' | 'not-paid' | 'unknown'; byId: boolean; spentPercent: bigint }
  | { kind: 'abandon'; pick: number; state: 'refused' | 'failed' | 'expired'; byId: boolean }
  | { kind: 'sweep' };

const pick = fc.nat({ max: 50 });
const percent = fc.bigInt({ min: 0n, max: 100n });
// Weighted so that sequences reach every stage: reserve → order → record → settle, with abandonments and sweeps between.
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('reserve' as const), amount: fc.bigInt({ min: 0n, max: 5_000_000_000n }), account: fc.constantFrom(...ACCOUNTS) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('order' as const), pick, percent }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('record' as const), pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const), pick, outcome: fc.constantFrom('paid' as const, 'not-paid' as const, 'unknown' as const),
      byId: fc.boolean(), spentPercent: percent,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('abandon' as const), pick, state: fc.constantFrom('refused' as const, 'failed' as const, 'expired' as const), byId: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);
const stepsArb = fc.array(stepArb, { minLength: 10, maxLength: 60 });

/** A table whose writes SQLite fails during one step, to prove the step's other writes roll back with it. */
const FAULT_TABLES = ['orders', 'payment_intents', 'budget_reservations'] as const;
type FaultTable = (typeof FAULT_TABLES)[number];
const faultArb = fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...FAULT_TABLES) });
const faultyStepsArb = fc.array(fc.tuple(stepArb, faultArb), { minLength: 10, maxLength: 60 });

async function withFault<T>(ledger: Ledger, table: FaultTable | null, work: () => Promise<T>): Promise<T> {
  if (table === null) return work();
  for (const event of ['INSERT', 'UPDATE']) {
    await sql.raw(`CREATE TRIGGER fault_${event} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected'); END`).execute(ledger.db);
  }
  try {
    return await work();
  } finally {
    for (const event of ['INSERT', 'UPDATE']) await sql.raw(`DROP TRIGGER fault_${event}`).execute(ledger.db);
  }
}
const limit = fc.bigInt({ min: 0n, max: 30_000_000_000n });
const limitsArb = fc.record({ total: limit, perAccount: fc.option(limit, { nil: undefined }) });

/** Refusals a step may meet when it picks something already settled; anything else is a bug. */
const EXPECTED_REFUSALS = ['ORDER_NOT_PAYABLE', 'ILLEGAL_TRANSITION', 'PAYMENT_IN_FLIGHT'];

/** Plays one step the way the payers, the settlement and the start-of-run sweep would. */
async function play(ledger: Ledger, step: Step, limits: BudgetLimits, serial: { n: number }, clock: () => number): Promise<void> {
  const at = <T>(rows: T[], i: number): T | undefined => (rows.length === 0 ? undefined : rows[i % rows.length]);
  switch (step.kind) {
    case 'reserve': {
      const r = await ledger.budget.reserve({ currency: 'TON', amount: step.amount, account: step.account, target: '19:2', limits });
      if (!r.ok) expect(r.committed + step.amount).toBeGreaterThan(r.limit);
      return;
    }
    case 'order': {
      const free = (await ledger.budget.list({ state: 'held' })).filter((r) => r.orderId === null);
      const r = at(free, step.pick);
      if (!r) return;
      const orderId = `o-${serial.n++}`;
      const amount = (r.amount * step.percent) / 100n;
      await ledger.orders.insert(tonOrder(orderId, { purchaseId: purchaseOf(r.account), account: r.account, amount, count: 1 }));
      await ledger.budget.attach(r.id, orderId);
      return;
    }
    case 'record': {
      const o = at(await ledger.orders.list({ state: ['created', 'paying'] }), step.pick);
      if (o) await ledger.recordIntent(tonIntent(`k-${serial.n++}`, o.orderId, { amount: o.amount }));
      return;
    }
    case 'settle': {
      const intents = await ledger.db.selectFrom('payment_intents').select(['idempotency_key', 'order_id']).orderBy('idempotency_key').execute();
      const i = at(intents, step.pick);
      if (!i) return;
      const order = (await ledger.orders.get(i.order_id))!;
      const reservation = (await ledger.budget.list({ orderId: i.order_id }))[0];
      await ledger.settle({
        idempotencyKey: i.idempotency_key, orderId: i.order_id, reservationId: step.byId ? reservation?.id ?? null : null,
        outcome: step.outcome, txHash: 'tx', fee: 1n, reason: 'settled',
        // At most the order amount, itself at most what was held: what is spent never outgrows the budget here.
        spent: (order.amount * step.spentPercent) / 100n,
      });
      return;
    }
    case 'abandon': {
      const o = at(await ledger.orders.list(), step.pick);
      if (!o) return;
      const reservation = (await ledger.budget.list({ orderId: o.orderId }))[0];
      await ledger.abandonOrder(o.orderId, step.state, 'abandoned', step.byId ? reservation?.id ?? null : null);
      return;
    }
    case 'sweep':
      await ledger.sweepAbandoned(clock());
      return;
  }
}

/** What each order state implies for its live (non-failed) intent and its reservation, in every committed state. */
const CONSISTENT: Record<OrderState, { live: IntentState | null; reservation: ReservationState }> = {
  created: { live: null, reservation: 'held' },
  paying: { live: 'recorded', reservation: 'held' },
  unknown: { live: 'unknown', reservation: 'held' },
  paid: { live: 'confirmed', reservation: 'consumed' },
  failed: { live: null, reservation: 'released' },
  refused: { live: null, reservation: 'released' },
  expired: { live: null, reservation: 'released' },
};

async function expectConsistent(ledger: Ledger, limits: BudgetLimits): Promise<void> {
  const { orders, intents, reservations } = await moneyTables(ledger);
  const sum = (rows: { amount: string }[]) => rows.reduce((t, r) => t + BigInt(r.amount), 0n);
  const held = reservations.filter((r) => r.state === 'held');
  const consumed = reservations.filter((r) => r.state === 'consumed');
  expect(await ledger.budget.committed('TON')).toBe(sum(held) + sum(consumed));
  expect(sum(held) + sum(consumed)).toBeLessThanOrEqual(limits.total);
  for (const account of ACCOUNTS) {
    const mine = [...held, ...consumed].filter((r) => r.account === account);
    if (limits.perAccount !== undefined) expect(sum(mine)).toBeLessThanOrEqual(limits.perAccount);
  }
  for (const o of orders) {
    const live = intents.filter((i) => i.order_id === o.order_id && i.state !== 'failed');
    const own = reservations.filter((r) => r.order_id === o.order_id);
    expect(live.length, o.order_id).toBeLessThanOrEqual(1);
    expect({ order: o.state, live: live[0]?.state ?? null, reservations: own.map((r) => r.state) }).toEqual({
      order: o.state, live: CONSISTENT[o.state].live, reservations: [CONSISTENT[o.state].reservation],
    });
  }
  for (const i of intents.filter((x) => x.state === 'failed')) {
    expect(['failed', 'refused', 'expired']).toContain(orders.find((o) => o.order_id === i.order_id)?.state);
  }
}

async function freshLedger(): Promise<{ ledger: Ledger; clock: () => number }> {
  let time = 1_700_000_000_000;
  const ledger = await openLedger(':memory:', { now: () => (time += 1_000) });
  for (const account of ACCOUNTS) {
    await ledger.purchases.ensure({ id: purchaseOf(account), collection: 19, character: 2, account, packsWanted: 100 });
  }
  return { ledger, clock: () => time };
}

function expectedRefusal(e: unknown, faulty = false): void {
  if (!(e instanceof LedgerError)) throw e;
  if (!EXPECTED_REFUSALS.includes(e.code) && !(faulty && e.code === 'STORAGE_FAILED')) throw e;
}

describe('settlement invariants (property)', () => {
  it('keeps committed = held + consumed within the limits, and every order, intent and reservation in agreement, step by step; a refused or failed step changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, faultyStepsArb, async (limits, planned) => {
        const { ledger, clock } = await freshLedger();
        const serial = { n: 0 };
        try {
          for (const [step, plannedFault] of planned) {
            // Placing an order is the payer's two separate steps (insert, attach), not one of the ledger's atomic ones.
            const fault = step.kind === 'order' ? null : plannedFault;
            const before = await moneyTables(ledger);
            const refused = await withFault(ledger, fault, () => play(ledger, step, limits, serial, clock)).then(
              () => false,
              (e: unknown) => (expectedRefusal(e, fault !== null), true),
            );
            if (refused) expect(await moneyTables(ledger)).toEqual(before);
            await expectConsistent(ledger, limits);
          }
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the same agreement when records, settlements, abandonments and sweeps race each other', async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, stepsArb, async (limits, steps) => {
        const { ledger, clock } = await freshLedger();
        const serial = { n: 0 };
        try {
          // Orders are set up first: placing one is two steps (insert, attach) that a payer never races.
          for (const step of steps.filter((s) => s.kind === 'reserve' || s.kind === 'order')) await play(ledger, step, limits, serial, clock);
          const racing = steps.filter((s) => s.kind !== 'reserve' && s.kind !== 'order');
          // In waves of four, so later waves race over intents that earlier waves recorded.
          for (let i = 0; i < racing.length; i += 4) {
            await Promise.all(racing.slice(i, i + 4).map((step) => play(ledger, step, limits, serial, clock).catch((e: unknown) => expectedRefusal(e))));
            await expectConsistent(ledger, limits);
          }
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
