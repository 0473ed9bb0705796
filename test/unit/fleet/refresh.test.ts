// Prepare: records in the in-memory bucket (the same contract as OSS, ETags included). Act: the scheduler's
// refresh step, on an injected clock. Assess: what it wrote per tenant and how many requests it needed.
import { refreshFleetSummaries } from '../../../shared/fleet/refresh.js';
import type { FleetSummaryDocument } from '../../../shared/fleet/refresh.js';
import { decodeEntries } from '../../../shared/domain/fleet/entries.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { ManualClock, MemoryObjectStore } from '../cert-api/fakes.js';
import { fleetRecord, putRecords, T0 } from './fleet-records.js';

const lines: string[] = [];
setLogSink((line) => lines.push(line));

function setup() {
  const store = new MemoryObjectStore();
  const clock = new ManualClock(T0);
  const refresh = (over: ObjectStore = store) =>
    refreshFleetSummaries({ store: over, clock, log: createLogger({ fn: 'test' }) });
  const calls = () => ({ ...store.calls });
  const since = (before: Record<string, number>) =>
    Object.fromEntries(Object.entries(store.calls).map(([op, n]) => [op, n - (before[op] ?? 0)]));
  return { store, clock, refresh, calls, since };
}

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
  expect(report).toMatchObject({ tenants: 2, certificates: 3, recordsRead: 3, fullRead: true, entriesWritten: 2 });
  expect(acme.summary.asOf).toBe(new Date(T0).toISOString());
  expect(acme.summary.certificates.total).toBe(2);
  expect(acme.summary.renewal).toMatchObject({ failing: 1, backingOff: 1 });
  expect(store.json<FleetSummaryDocument>('fleet/tenants/other/summary.json').summary.certificates.total).toBe(1);
  expect(decodeEntries(store.json('fleet/tenants/acme/entries.json'))).toHaveLength(2);
});

it('later runs read only the records whose ETag changed, and rewrite only the entries of their tenant', async () => {
  // prepare: 1,200 records (two LIST pages), refreshed once
  const { store, clock, refresh, calls, since } = setup();
  const records = Array.from({ length: 1200 }, (_, i) => fleetRecord({ tenant: i % 2 ? 'acme' : 'other' }));
  await putRecords(store, records);
  await refresh();
  clock.advance(15 * 60_000);
  // act: nothing changed, then one renewal failure is recorded
  const before = calls();
  const quiet = await refresh();
  const quietCalls = since(before);
  const changed = { ...records[1], renewal: { ...records[1].renewal, failedAttempts: 1 } };
  await store.put(`records/${changed.id}.json`, JSON.stringify(changed));
  clock.advance(15 * 60_000);
  const afterChange = calls();
  const report = await refresh();
  const changeCalls = since(afterChange);
  // assess: 1 listing of fleet/tenants/ + 2 pages of records/, the two tenants' entries, no record
  expect(quiet).toMatchObject({ recordsRead: 0, entriesWritten: 0, summariesWritten: 2, listRequests: 3 });
  expect(quietCalls).toMatchObject({ list: 3, get: 2, put: 2 });
  expect(report).toMatchObject({ recordsRead: 1, entriesWritten: 1, certificates: 1200 });
  expect(changeCalls).toMatchObject({ list: 3, get: 3, put: 3 });
  expect(store.json<FleetSummaryDocument>('fleet/tenants/acme/summary.json').summary.renewal.failing).toBe(1);
  expect(store.json<FleetSummaryDocument>('fleet/tenants/acme/summary.json').summary.asOf).toBe(
    new Date(T0 + 30 * 60_000).toISOString(),
  );
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
  expect(retried).toMatchObject({ readFailures: 0, recordsRead: 1 });
  expect(decodeEntries(store.json('fleet/tenants/acme/entries.json'))!.find((e) => e.id === flaky.id)?.autoRenew).toBe(
    false,
  );
  expect(lines.some((l) => l.includes('record unreadable'))).toBe(true);
});

it('reads every record again once a day, and whenever the stored entries are not readable', async () => {
  // prepare
  const { store, clock, refresh } = setup();
  await putRecords(store, [fleetRecord(), fleetRecord()]);
  await refresh();
  // act
  clock.advance(23 * 3_600_000);
  const sameDay = await refresh();
  clock.advance(1 * 3_600_000);
  const nextDay = await refresh();
  await store.put('fleet/tenants/acme/entries.json', '{"v":99}');
  const damaged = await refresh();
  // assess
  expect(sameDay).toMatchObject({ fullRead: false, recordsRead: 0 });
  expect(nextDay).toMatchObject({ fullRead: true, recordsRead: 2 });
  expect(damaged).toMatchObject({ fullRead: true, recordsRead: 2, certificates: 2 });
});

it('reads every record when the store lists no ETags', async () => {
  // prepare: the same bucket behind a store that leaves ETags out of its listings
  const { store, clock, refresh } = setup();
  await putRecords(store, [fleetRecord(), fleetRecord()]);
  await refresh();
  clock.advance(60_000);
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
  const report = await refresh(withoutEtags);
  // assess
  expect(report).toMatchObject({ recordsRead: 2, certificates: 2 });
});

it('summarizes a day as of the refresh, not as of the records', async () => {
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
