import { describe, expect, it } from 'vitest';
import { FaultPlanInvalid, parseFaultPlan, type FaultPlan } from '../../../../sim/store/fault-plan.js';
import { Faults, type FaultDecision } from '../../../../sim/store/faults.js';

const kinds = (faults: Faults, n: number, path = '/api/v1/collections', method = 'GET'): Array<string | null> =>
  Array.from({ length: n }, () => {
    const d: FaultDecision | null = faults.decide(method, path);
    return d?.answer?.kind ?? (d ? 'slow' : null);
  });

describe('faults', () => {
  it('hits exactly the next N requests of a burst, then none', () => {
    const faults = new Faults({ status5xx: { burst: 3, status: 502 } }, 1);
    expect(faults.decide('GET', '/api/v1/collections')).toEqual({ delayMs: 0, answer: { kind: 'status5xx', status: 502 } });
    expect(kinds(faults, 4)).toEqual(['status5xx', 'status5xx', null, null]);
    expect(faults.state().injected).toEqual({ status5xx: 3 });
    expect(faults.state().burstsLeft).toEqual({});
  });

  it('fires a rate on about that share of requests, the same ones for the same seed', () => {
    const plan: FaultPlan = { malformedJson: { rate: 0.3 } };
    const a = kinds(new Faults(plan, 11), 2000);
    expect(kinds(new Faults(plan, 11), 2000)).toEqual(a);
    expect(kinds(new Faults(plan, 12), 2000)).not.toEqual(a);
    const share = a.filter((k) => k === 'malformedJson').length / a.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
  });

  it('replays the same faults when the same plan is set again', () => {
    const faults = new Faults({ connectionReset: { rate: 0.5 } }, 5);
    const first = kinds(faults, 50);
    faults.set({ connectionReset: { rate: 0.5 } });
    expect(kinds(faults, 50)).toEqual(first);
  });

  it('gives a request at most one answering fault, storms first, and uses a burst only where it hits', () => {
    const faults = new Faults(
      {
        retryAfterStorm: { burst: 1, retryAfterSec: 9 },
        status5xx: { burst: 1 },
        htmlErrorPage: { burst: 1 },
        connectionReset: { burst: 1 },
        malformedJson: { burst: 1 },
      },
      1,
    );
    expect(kinds(faults, 6)).toEqual(['retryAfterStorm', 'status5xx', 'htmlErrorPage', 'connectionReset', 'malformedJson', null]);
  });

  it('slows a request on top of another fault, or alone', () => {
    const faults = new Faults({ slowMs: { ms: 250, burst: 2 }, status5xx: { burst: 1 } }, 1);
    expect(faults.decide('GET', '/api/v1/collections')).toEqual({ delayMs: 250, answer: { kind: 'status5xx', status: 500 } });
    expect(faults.decide('GET', '/api/v1/collections')).toEqual({ delayMs: 250, answer: null });
    expect(faults.decide('GET', '/api/v1/collections')).toBeNull();
  });

  it('applies to the routes named, by method when given, and never to /admin', () => {
    const faults = new Faults({ status5xx: { rate: 1 }, routes: ['POST /api/v1/shop/buy/crypto', '/api/v1/collection/:id'] }, 1);
    expect(faults.decide('POST', '/api/v1/shop/buy/crypto')).not.toBeNull();
    expect(faults.decide('GET', '/api/v1/shop/buy/crypto')).toBeNull();
    expect(faults.decide('GET', '/api/v1/collection/3')).not.toBeNull();
    expect(faults.decide('GET', '/api/v1/collections')).toBeNull();
    const everywhere = new Faults({ status5xx: { rate: 1 } }, 1);
    expect(everywhere.decide('GET', '/api/v1/shop/settings')).not.toBeNull();
    expect(everywhere.decide('GET', '/admin/stock')).toBeNull();
    expect(everywhere.decide('GET', '/elsewhere')).toBeNull();
  });

  it('clears every fault when set to null', () => {
    const faults = new Faults({ status5xx: { rate: 1 } }, 1);
    faults.set(null);
    expect(faults.decide('GET', '/api/v1/collections')).toBeNull();
    expect(faults.state()).toEqual({ plan: null, burstsLeft: {}, injected: {} });
  });

  it('refuses a plan it cannot apply, naming every bad key', () => {
    const issues = (input: unknown): string[] => {
      try {
        parseFaultPlan(input);
        return [];
      } catch (e) {
        if (!(e instanceof FaultPlanInvalid)) throw e;
        return (e.details['issues'] as Array<{ path: string }>).map((i) => i.path).sort();
      }
    };
    expect(issues({ status5xx: { rate: 1.5, status: 504 } })).toEqual(['status5xx.rate', 'status5xx.status']);
    expect(issues({ malformedJson: {} })).toEqual(['malformedJson']);
    expect(issues({ slowMs: { burst: 1 } })).toEqual(['slowMs.ms']);
    expect(issues({ status5XX: { rate: 1 } })).toEqual(['']);
    expect(issues({ htmlErrorPage: { burst: 1 }, routes: ['/admin/stock'] })).toEqual(['routes.0']);
    expect(issues({ retryAfterStorm: { burst: 2, retryAfterSec: 0 } })).toEqual(['retryAfterStorm.retryAfterSec']);
    expect(issues([])).toEqual(['']);
    expect(issues({ starsOverprice: {}, authRefuse: { rate: 2 } })).toEqual(['authRefuse.rate', 'starsOverprice']);
    expect(() => new Faults({ status5xx: {} } as FaultPlan, 1)).toThrow(FaultPlanInvalid);
  });

  it('draws each Stars fault on its own for every Stars buy, bursts first', () => {
    const faults = new Faults({ starsOverprice: { burst: 2 }, starsWrongLinkField: { burst: 1 }, starsForeignCurrency: { rate: 1 } }, 1);
    const twists = Array.from({ length: 3 }, () => [...faults.starsTwists()].sort());
    expect(twists).toEqual([
      ['starsForeignCurrency', 'starsOverprice', 'starsWrongLinkField'],
      ['starsForeignCurrency', 'starsOverprice'],
      ['starsForeignCurrency'],
    ]);
    expect(faults.state().injected).toEqual({ starsOverprice: 2, starsWrongLinkField: 1, starsForeignCurrency: 3 });
  });

  it('leaves transport faults alone when only the store tricks are planned, and the other way round', () => {
    const tricks = new Faults({ starsLinkWithoutSlug: { rate: 1 }, authRefuse: { rate: 1 } }, 1);
    expect(tricks.decide('POST', '/api/v1/shop/buy')).toBeNull();
    expect(tricks.decide('POST', '/api/v1/auth')).toBeNull();
    expect(tricks.refusesLogin()).toBe(true);
    const transport = new Faults({ status5xx: { rate: 1 } }, 1);
    expect(transport.starsTwists().size).toBe(0);
    expect(transport.refusesLogin()).toBe(false);
  });

  it('refuses a burst of logins, then lets them through', () => {
    const faults = new Faults({ authRefuse: { burst: 2 } }, 1);
    expect([faults.refusesLogin(), faults.refusesLogin(), faults.refusesLogin()]).toEqual([true, true, false]);
    expect(faults.state().burstsLeft).toEqual({});
  });
});
