// The stored form of a tenant's fleet entries: what is written is read back unchanged, and anything else is
// refused (so the scheduler rebuilds it instead of trusting it).
import { decodeEntries, encodeEntries, entryOf } from '../../../shared/domain/fleet/entries.js';
import { fleetRecord } from './fleet-records.js';

it('reads back what it wrote, sorted by id, with times to the second', () => {
  // prepare
  const a = entryOf(fleetRecord({ dns: ['a.example.com'], failedAttempts: 1, nextAttemptInMs: 300_000 }), 'E1');
  const b = entryOf(fleetRecord({ autoRenew: false }), 'E2');
  // act
  const doc = JSON.parse(JSON.stringify(encodeEntries('acme', [b, a])));
  const back = decodeEntries(doc);
  // assess
  expect(doc.tenant).toBe('acme');
  expect(back).toEqual([a, b]);
  expect(JSON.stringify(doc.rows[1])).not.toContain('dns');
});

it.each([
  ['nothing', undefined],
  ['another version', { v: 2, rows: [] }],
  ['other columns', { v: 1, columns: ['id'], rows: [] }],
  ['a short row', { ...encodeEntries('acme', []), rows: [['cc-x']] }],
])('refuses %s', (_what, doc) => {
  expect(decodeEntries(doc)).toBeUndefined();
});
