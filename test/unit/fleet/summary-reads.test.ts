// `GET /v1/summary`'s reads: a token whose policy allows every name gets its tenant's stored summary (one GET);
// any other token gets a summary of only the certificates its names policy lets it see, never more.
import type { TokenPrincipal } from '../../../shared/auth/principal.js';
import { refreshFleetSummaries } from '../../../shared/fleet/refresh.js';
import { createFleetReads } from '../../../shared/fleet/summary-reads.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { ManualClock, MemoryObjectStore } from '../cert-api/fakes.js';
import { fleetRecord, putRecords, T0 } from './fleet-records.js';

const lines: string[] = [];
setLogSink((line) => lines.push(line));

const policy = (patterns: Partial<TokenPrincipal['policy']>): TokenPrincipal['policy'] => ({
  commonNamePatterns: ['*'],
  sanPatterns: { dns: ['*'], uri: ['*'], email: ['*'], ip: ['*'] },
  keyAlgorithms: ['EC_P256'],
  maxValidityDays: 90,
  operations: ['read'],
  allowWildcardNames: true,
  ...patterns,
});
const token = (name: string, p: TokenPrincipal['policy'], tenant = 'acme'): TokenPrincipal => ({
  kind: 'token',
  tenant,
  name,
  policy: p,
});

async function setup() {
  const store = new MemoryObjectStore();
  await putRecords(store, [
    fleetRecord({ commonName: 'a.plant.example.com' }),
    fleetRecord({ commonName: 'b.plant.example.com', failedAttempts: 1 }),
    fleetRecord({ commonName: 'c.depot.example.com', dns: ['c.depot.example.com'] }),
    fleetRecord({ commonName: '*.depot.example.com', dns: ['*.depot.example.com'] }),
    fleetRecord({ commonName: 'x.other.example.com', tenant: 'other' }),
  ]);
  await refreshFleetSummaries({ store, clock: new ManualClock(T0), log: createLogger() });
  return { store, reads: createFleetReads({ store, log: createLogger({ fn: 'test' }) }) };
}

it("gives a token that may see every name its tenant's summary, in one read", async () => {
  // prepare
  const { store, reads } = await setup();
  const before = store.calls.get;
  // act
  const answer = await reads.summary(token('admin', policy({})));
  // assess
  expect(answer).toMatchObject({ tenant: 'acme', scope: 'tenant', available: true });
  expect(answer.summary!.certificates.total).toBe(4);
  expect(store.calls.get - before).toBe(1);
});

it('gives a name-restricted token a summary of only the certificates it may see', async () => {
  // prepare
  const { reads } = await setup();
  const plant = token('plant', policy({ commonNamePatterns: ['*.plant.example.com'], allowWildcardNames: false }));
  const depot = token('depot', policy({ commonNamePatterns: ['*.depot.example.com'], allowWildcardNames: false }));
  // act
  const [plantAnswer, depotAnswer] = await Promise.all([reads.summary(plant), reads.summary(depot)]);
  // assess: the wildcard certificate is hidden from a token without allowWildcardNames, as on every other read
  expect(plantAnswer).toMatchObject({ scope: 'policy', available: true });
  expect(plantAnswer.summary!.certificates.total).toBe(2);
  expect(plantAnswer.summary!.renewal.failing).toBe(1);
  expect(depotAnswer.summary!.certificates.total).toBe(1);
  expect(depotAnswer.summary!.renewal.failing).toBe(0);
});

it('treats a policy as restricted unless every name check passes whatever the name', async () => {
  // prepare: everything but IP SANs
  const { store, reads } = await setup();
  const before = store.calls.get;
  const almost = token('almost', policy({ sanPatterns: { dns: ['*'], uri: ['*'], email: ['*'], ip: [] } }));
  // act
  const answer = await reads.summary(almost);
  // assess
  expect(answer.scope).toBe('policy');
  expect(answer.summary!.certificates.total).toBe(4);
  expect(store.calls.get - before).toBe(2);
});

it('says when no summary was made yet, and refuses a token without the read operation', async () => {
  // prepare
  const { reads } = await setup();
  // act
  const none = await reads.summary(token('new', policy({}), 'newcomer'));
  const refused = reads.summary(token('issuer', policy({ operations: ['issue'] })));
  // assess
  expect(none).toEqual({ tenant: 'newcomer', scope: 'tenant', available: false });
  await expect(refused).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN_BY_POLICY' });
  expect(lines.some((l) => l.includes('"action":"fleet.summary"') && l.includes('"decision":"deny"'))).toBe(true);
});

it("keeps a restricted token's summary until the scheduler's next run: one read per page load meanwhile", async () => {
  // prepare
  const { store, reads } = await setup();
  const plant = token('plant', policy({ commonNamePatterns: ['*.plant.example.com'], allowWildcardNames: false }));
  await reads.summary(plant);
  const before = store.calls.get;
  // act: a second page load; then the scheduler runs again after one more plant certificate
  const again = await reads.summary(plant);
  const cachedReads = store.calls.get - before;
  await putRecords(store, [fleetRecord({ commonName: 'd.plant.example.com' })]);
  await refreshFleetSummaries({ store, clock: new ManualClock(T0 + 15 * 60_000), log: createLogger() });
  const afterRun = store.calls.get;
  const fresh = await reads.summary(plant);
  // assess
  expect(cachedReads).toBe(1);
  expect(again.summary!.certificates.total).toBe(2);
  expect(store.calls.get - afterRun).toBe(2);
  expect(fresh.summary!.certificates.total).toBe(3);
  expect(fresh.summary!.asOf).toBe(new Date(T0 + 15 * 60_000).toISOString());
});

it('says how many records the scheduler has not read yet', async () => {
  // prepare: a run capped below the fleet's size
  const store = new MemoryObjectStore();
  await putRecords(store, [fleetRecord(), fleetRecord(), fleetRecord()]);
  await refreshFleetSummaries({
    store,
    clock: new ManualClock(T0),
    log: createLogger(),
    config: { maxReadsPerRun: 2 },
  });
  // act
  const answer = await createFleetReads({ store, log: createLogger() }).summary(token('admin', policy({})));
  // assess
  expect(answer).toMatchObject({ available: true, pendingRecords: 1, summary: { certificates: { total: 2 } } });
});
