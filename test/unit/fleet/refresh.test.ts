// Prepare: records in the in-memory bucket (the same contract as OSS, ETags included). Act: the scheduler's
// refresh step, on an injected clock. Assess: what it wrote per tenant and how many requests it needed.
import {
  refreshFleetSummaries,
  verificationSlotOf,
  type FleetRefreshConfig,
  type FleetSummaryDocument,
} from '../../../shared/fleet/refresh.js';
import { decodeEntries } from '../../../shared/domain/fleet/entries.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { ManualClock, MemoryObjectStore } from '../cert-api/fakes.js';
import { fleetRecord, putRecords, T0 } from './fleet-records.js';

const lines: string[] = [];
setLogSink((line) => lines.push(line));
const QUARTER = 15 * 60_000;

function setup(config?: FleetRefreshConfig) {
  const store = new MemoryObjectStore();
  const clock = new ManualClock(T0);
  const refresh = (over: ObjectStore = store) =>
    refreshFleetSummaries({ store: over, clock, log: createLogger({ fn: 'test' }), config });
  const calls = () => ({ ...store.calls });
  const since = (before: Record<string, number>) =>
    Object.fromEntries(Object.entries(store.calls).map(([op, n]) => [op, n - (before[op] ?? 0)]));
  return { store, clock, refresh, calls, since };
}

/** How many of `ids` the run at `at` reads again though unchanged (its slot of the day). */
const slice = (ids: string[], at: number) =>
  ids.filter((id) => verificationSlotOf(id, 96) === Math.floor(at / QUARTER) % 96).length;

it('first run: reads every record once and writes each tenant its entries and its summary', async () => {
  // prepare
  const { store, refresh } = setup();
  await putRecords(store, [
    fleetRecord({ tenant: 'acme' }),
    fleetRecord({ tenant: 'acme', failedAttempts: 1, nextAttemptInMs: 60_000 }),
    fleetRecord({ tenant: 'other' }),
  ]);
  // act
  const report = await refresh();
  // assess
  const acme = store.json<FleetSummaryDocument>('fleet/tenants/acme/summary.json');
  expect(report).toMatchObject({ tenants: 2, certificates: 3, changedRead: 3, pendingRecords: 0, entriesWritten: 2 });
  expect(acme).toMatchObject({ v: 1, tenant: 'acme', pendingRecords: 0 });
  expect(acme.summary.asOf).toBe(new Date(T0).toISOString());
  expect(acme.summary.certificates.total).toBe(2);
  expect(acme.summary.renewal).toMatchObject({ failing: 1, backingOff: 1 });
  expect(store.json<FleetSummaryDocument>('fleet/tenants/other/summary.json').summary.certificates.total).toBe(1);
  expect(decodeEntries(store.json('fleet/tenants/acme/entries.json'))).toHaveLength(2);
});

it('later runs read only the changed records and the slice due again, and rewrite only what changed', async () => {
  // prepare: 1,200 records (two LIST pages), refreshed once
  const { store, clock, refresh, calls, since } = setup();
  const records = Array.from({ length: 1200 }, (_, i) => fleetRecord({ tenant: i % 2 ? 'acme' : 'other' }));
  const ids = records.map((r) => r.id);
  await putRecords(store, records);
  await refresh();
  clock.advance(QUARTER);
  // act: nothing changed, then one renewal failure is recorded
  const before = calls();
  const quiet = await refresh();
  const quietCalls = since(before);
  const changed = { ...records[1], renewal: { ...records[1].renewal, failedAttempts: 1 } };
  await store.put(`records/${changed.id}.json`, JSON.stringify(changed));
  clock.advance(QUARTER);
  const afterChange = calls();
  const report = await refresh();
  const changeCalls = since(afterChange);
  // assess: 1 listing of fleet/tenants/ + 2 pages of records/, the two tenants' entries, the slice, the change
  const quietSlice = slice(ids, T0 + QUARTER);
  const changeSlice = slice(
    ids.filter((id) => id !== changed.id),
    T0 + 2 * QUARTER,
  );
  expect(quietSlice).toBeLessThan(40);
  expect(quiet).toMatchObject({ changedRead: 0, verified: quietSlice, entriesWritten: 0, summariesWritten: 2 });
  expect(quietCalls).toMatchObject({ list: 3, get: 2 + quietSlice, put: 2 });
  expect(report).toMatchObject({ changedRead: 1, verified: changeSlice, entriesWritten: 1, certificates: 1200 });
  expect(changeCalls).toMatchObject({ list: 3, get: 2 + 1 + changeSlice, put: 3 });
  const acme = store.json<FleetSummaryDocument>('fleet/tenants/acme/summary.json').summary;
  expect(acme.renewal.failing).toBe(1);
  expect(acme.asOf).toBe(new Date(T0 + 2 * QUARTER).toISOString());
});

it('reads every unchanged record again once over a day of runs every 15 minutes', async () => {
  // prepare
  const { store, clock, refresh } = setup();
  await putRecords(
    store,
    Array.from({ length: 200 }, () => fleetRecord()),
  );
  await refresh();
  // act
  let verified = 0;
  for (let run = 0; run < 96; run += 1) {
    clock.advance(QUARTER);
    verified += (await refresh()).verified;
  }
  // assess
  expect(verified).toBe(200);
});

it('caps the reads of one run: a big first run finishes over several, and the summary says what it lacks', async () => {
  // prepare
  const { store, refresh } = setup({ maxReadsPerRun: 5 });
  await putRecords(
    store,
    Array.from({ length: 12 }, () => fleetRecord()),
  );
  // act
  const runs = [await refresh(), await refresh(), await refresh()];
  // assess
  expect(runs.map((r) => [r.changedRead, r.pendingRecords, r.certificates])).toEqual([
    [5, 7, 5],
    [5, 2, 10],
    [2, 0, 12],
  ]);
  expect(store.json<FleetSummaryDocument>('fleet/tenants/acme/summary.json').pendingRecords).toBe(0);
});

it('drops a record that is gone, and keeps one it cannot read now (to read it again next time)', async () => {
  // prepare
  const { store, refresh } = setup();
  const [kept, gone, flaky] = [fleetRecord(), fleetRecord(), fleetRecord()];
  await putRecords(store, [kept, gone, flaky]);
  await refresh();
  await store.delete(`records/${gone.id}.json`);
  await store.put(`records/${flaky.id}.json`, JSON.stringify({ ...flaky, autoRenew: false }));
  // act: the read of the changed record fails once
  store.failOnce('get', 0, (key) => key === `records/${flaky.id}.json`);
  const failed = await refresh();
  const entriesAfterFailure = decodeEntries(store.json('fleet/tenants/acme/entries.json'))!;
  const retried = await refresh();
  // assess
  expect(failed).toMatchObject({ readFailures: 1, certificates: 2 });
  expect(entriesAfterFailure.map((e) => e.id).sort()).toEqual([kept.id, flaky.id].sort());
  expect(entriesAfterFailure.find((e) => e.id === flaky.id)?.autoRenew).toBe(true);
  expect(retried).toMatchObject({ readFailures: 0, changedRead: 1 });
  expect(decodeEntries(store.json('fleet/tenants/acme/entries.json'))!.find((e) => e.id === flaky.id)?.autoRenew).toBe(
    false,
  );
  expect(lines.some((l) => l.includes('record unreadable'))).toBe(true);
});

it('reads the records again when the stored entries are not readable, or when the store lists no ETags', async () => {
  // prepare: the same bucket behind a store that leaves ETags out of its listings
  const { store, refresh } = setup();
  await putRecords(store, [fleetRecord(), fleetRecord()]);
  await refresh();
  const withoutEtags: ObjectStore = {
    put: (key, body, options) => store.put(key, body, options),
    get: (key) => store.get(key),
    exists: (key) => store.exists(key),
    delete: (key) => store.delete(key),
    signedGetUrl: (key, options) => store.signedGetUrl(key, options),
    list: async (options) => {
      const { etags: _etags, ...page } = await store.list(options);
      return page;
    },
  };
  // act
  await store.put('fleet/tenants/acme/entries.json', '{"v":99}');
  const damaged = await refresh();
  const noEtags = await refresh(withoutEtags);
  // assess
  expect(damaged).toMatchObject({ changedRead: 2, certificates: 2 });
  expect(noEtags).toMatchObject({ changedRead: 2, certificates: 2 });
});

it('summarizes as of the refresh, not as of the records', async () => {
  // prepare: renewal time 1 hour ahead
  const { store, clock, refresh } = setup();
  await putRecords(store, [fleetRecord({ renewInDays: 1 / 24 })]);
  await refresh();
  // act: two hours later nothing changed in the record, yet it is now due
  clock.advance(2 * 3_600_000);
  await refresh();
  // assess
  const summary = store.json<FleetSummaryDocument>('fleet/tenants/acme/summary.json').summary;
  expect(summary.renewal).toMatchObject({ due: 1, scheduled: 0 });
  expect(summary.asOf).toBe(new Date(T0 + 2 * 3_600_000).toISOString());
});
