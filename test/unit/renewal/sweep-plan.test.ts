// The sweep plan: due index keys and pending renewals, deduplicated, in batches.
import { planSweep, parsePendingKey } from '../../../shared/domain/renewal/sweep-plan.js';
import { renewalIndexKey } from '../../../shared/domain/renewal/schedule.js';

const now = new Date('2030-06-01T00:00:00Z');
const id = (n: number) => `cc-${String(n).padStart(20, '0')}`;
const key = (minutesFromNow: number, n: number) =>
  renewalIndexKey(new Date(now.getTime() + minutesFromNow * 60_000), id(n));

describe('planSweep', () => {
  it('takes only keys up to now, in batches', () => {
    // Prepare
    const indexKeys = [key(-60, 1), key(-30, 2), key(-1, 3), key(0, 4), key(1, 5), key(60, 6)];
    // Act
    const plan = planSweep({ indexKeys, pendingKeys: [], now, batchSize: 2, maxItems: 100 });
    // Assess
    expect(plan.items.map((i) => i.certificateId)).toEqual([id(1), id(2), id(3), id(4)]);
    expect(plan.batches.map((b) => b.length)).toEqual([2, 2]);
    expect(plan.items[0].indexKeys).toEqual([key(-60, 1)]);
  });

  it('merges a certificate found under two keys and a pending renewal into one item', () => {
    const plan = planSweep({
      indexKeys: [key(-90, 7), key(-5, 7)],
      pendingKeys: [`pending/${id(7)}/g3.json`],
      now,
      batchSize: 10,
      maxItems: 100,
    });
    expect(plan.items).toEqual([{ certificateId: id(7), pendingGeneration: 3, indexKeys: [key(-90, 7), key(-5, 7)] }]);
  });

  it('ignores malformed keys and unversioned pending objects', () => {
    const plan = planSweep({
      indexKeys: ['index/renew/000000000001/not-an-id', key(-1, 8)],
      pendingKeys: [`pending/${id(9)}.json`, `pending/${id(9)}/g0.json`, 'pending/../x/g2.json'],
      now,
      batchSize: 10,
      maxItems: 100,
    });
    expect(plan.items.map((i) => i.certificateId)).toEqual([id(8)]);
    expect(plan.ignoredKeys).toHaveLength(4);
  });

  it('takes a pending first issuance (generation 1) so the worker can finish it', () => {
    // Prepare: a first issuance left pending by a failed API request, with no record and no index key
    const pendingKeys = [`pending/${id(9)}/g1.json`];
    // Act
    const plan = planSweep({ indexKeys: [], pendingKeys, now, batchSize: 10, maxItems: 100 });
    // Assess
    expect(plan.items).toEqual([{ certificateId: id(9), pendingGeneration: 1 }]);
    expect(plan.ignoredKeys).toEqual([]);
  });

  it('defers what exceeds maxItems to the next sweep; pending work has a budget of its own', () => {
    const plan = planSweep({
      indexKeys: [key(-3, 1), key(-2, 2), key(-1, 3)],
      pendingKeys: [`pending/${id(5)}/g2.json`],
      now,
      batchSize: 10,
      maxItems: 2,
      maxPending: 1,
    });
    expect(plan.items.map((i) => i.certificateId)).toEqual([id(5), id(1), id(2)]);
    expect(plan.deferred).toBe(1);
  });

  it('a flood of pending objects never crowds out due renewals', () => {
    // Prepare: 5,000 pending first issuances from one tenant, and 3 certificates due for renewal
    const pendingKeys = Array.from({ length: 5000 }, (_, n) => `pending/${id(1000 + n)}/g1.json`);
    // Act
    const plan = planSweep({
      indexKeys: [key(-3, 1), key(-2, 2), key(-1, 3)],
      pendingKeys,
      now,
      batchSize: 25,
      maxItems: 5000,
      maxPending: 500,
    });
    // Assess: every due renewal is in the plan; pending work is capped at its own budget
    expect(plan.items.filter((i) => i.indexKeys).map((i) => i.certificateId)).toEqual([id(1), id(2), id(3)]);
    expect(plan.items.filter((i) => i.pendingGeneration)).toHaveLength(500);
    expect(plan.deferred).toBe(4500);
  });

  it.each([
    [`pending/${id(1)}/g12.json`, { certificateId: id(1), generation: 12 }],
    [`pending/${id(1)}.json`, { certificateId: id(1), generation: undefined }],
    [`pending/${id(1)}/g12.json.tmp`, undefined],
    ['pending/cc-short/g2.json', undefined],
  ])('parsePendingKey(%s)', (k, expected) => expect(parsePendingKey(k)).toEqual(expected));
});
