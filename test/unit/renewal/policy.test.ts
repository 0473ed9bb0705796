// Prepare a record and the gathered inputs; act: evaluateRenewal; assess: the decision and its reason.
import { evaluateRenewal, type RenewalDecision, type RenewalInputs } from '../../../shared/domain/renewal/policy.js';
import { makeRecord, at, type RecordOverrides } from './records.js';

type Case = [
  name: string,
  record: RecordOverrides,
  inputs: Omit<RenewalInputs, 'now'> & { day: number },
  options: { csrKeyReuse: boolean },
  expected: Partial<RenewalDecision>,
];

const reuse = { csrKeyReuse: true };
const noReuse = { csrKeyReuse: false };

const cases: Case[] = [
  ['fresh certificate is not due', {}, { day: 10 }, reuse, { due: false, reason: 'NotDue' }],
  ['one second before 2/3 of the lifetime', {}, { day: 60 - 1 / 86400 }, reuse, { due: false, reason: 'NotDue' }],
  ['at 2/3 of the lifetime', {}, { day: 60 }, reuse, { due: true, reason: 'NearingExpiry' }],
  [
    'renewBeforeDays moved renewAt earlier',
    { renewBeforeDays: 45, renewal: { renewAt: at(45).toISOString() } },
    { day: 46 },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  [
    'record without renewAt falls back to the 2/3 rule',
    { renewal: { renewAt: '' } },
    { day: 61 },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  ['already expired', {}, { day: 95 }, reuse, { due: true, reason: 'Expired' }],
  [
    'renewed up to the CA end already: not again, however due (no renewal storm)',
    { current: { cappedByCa: true } },
    { day: 70 },
    reuse,
    { due: false, reason: 'CaExpiring' },
  ],
  [
    'cut short at the CA and expired: still not renewed (it would end at the same moment)',
    { current: { cappedByCa: true } },
    { day: 95 },
    reuse,
    { due: false, reason: 'CaExpiring' },
  ],
  [
    'cut short at the CA but forced (e.g. after a new sub-CA): renewed',
    { current: { cappedByCa: true } },
    { day: 70, request: { force: true } },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  [
    'a revocation in progress is never renewed',
    { status: 'REVOKING', autoRenew: false },
    { day: 70, request: { force: true } },
    reuse,
    { due: false, reason: 'RevocationInProgress' },
  ],
  [
    'bundle missing before renewal time',
    {},
    { day: 10, bundlePresent: false },
    reuse,
    { due: true, reason: 'BundleMissing' },
  ],
  ['bundle present: still not due', {}, { day: 10, bundlePresent: true }, reuse, { due: false, reason: 'NotDue' }],
  [
    'pending renewal of the next generation',
    {},
    { day: 10, pendingGeneration: 2 },
    reuse,
    { due: true, reason: 'PendingRenewal' },
  ],
  [
    'pending object of an older generation is ignored',
    { current: { generation: 3 } },
    { day: 10, pendingGeneration: 3 },
    reuse,
    { due: false, reason: 'NotDue' },
  ],
  [
    'forced request renews a fresh certificate',
    {},
    { day: 10, request: { force: true } },
    reuse,
    { due: true, reason: 'Requested' },
  ],
  [
    'unforced request of a fresh certificate is not due',
    {},
    { day: 10, request: { force: false } },
    reuse,
    { due: false, reason: 'NotDue' },
  ],
  [
    'request for a replaced generation is stale',
    { current: { generation: 2 } },
    { day: 70, request: { force: true, generation: 1 } },
    reuse,
    { due: false, reason: 'StaleRequest' },
  ],
  [
    'request for the current generation',
    { current: { generation: 2 } },
    { day: 70, request: { force: false, generation: 2 } },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  [
    'revoked is never due',
    { status: 'REVOKED', revokedAt: at(5).toISOString() },
    { day: 95, request: { force: true } },
    reuse,
    { due: false, reason: 'Revoked' },
  ],
  [
    'revoked even with a pending renewal',
    { status: 'REVOKED' },
    { day: 70, pendingGeneration: 2 },
    reuse,
    { due: false, reason: 'Revoked' },
  ],
  [
    'autoRenew false is never due',
    { autoRenew: false },
    { day: 89 },
    reuse,
    { due: false, reason: 'AutoRenewDisabled' },
  ],
  [
    'autoRenew false ignores a forced request',
    { autoRenew: false },
    { day: 10, request: { force: true } },
    reuse,
    { due: false, reason: 'AutoRenewDisabled' },
  ],
  [
    'autoRenew false still finishes a pending renewal started through the API',
    { autoRenew: false },
    { day: 10, pendingGeneration: 2 },
    reuse,
    { due: true, reason: 'PendingRenewal' },
  ],
  [
    'backing off after a failure',
    { renewal: { failedAttempts: 1, nextAttemptAt: at(61).toISOString() } },
    { day: 60.5 },
    reuse,
    { due: false, reason: 'BackingOff', dueReason: 'NearingExpiry' },
  ],
  [
    'backoff over: due again',
    { renewal: { failedAttempts: 1, nextAttemptAt: at(61).toISOString() } },
    { day: 61 },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  [
    'a forced request overrides the backoff',
    { renewal: { failedAttempts: 2, nextAttemptAt: at(62).toISOString() } },
    { day: 60.5, request: { force: true } },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  [
    'a pending renewal waits for the backoff too',
    { renewal: { failedAttempts: 1, nextAttemptAt: at(11).toISOString() } },
    { day: 10, pendingGeneration: 2 },
    reuse,
    { due: false, reason: 'BackingOff' },
  ],
  [
    'csr mode with key reuse allowed',
    { mode: 'csr', csrPem: 'x' },
    { day: 60 },
    reuse,
    { due: true, reason: 'NearingExpiry' },
  ],
  [
    'csr mode with key reuse forbidden asks for a new CSR',
    { mode: 'csr', csrPem: 'x' },
    { day: 60 },
    noReuse,
    { due: false, reason: 'NewCsrRequired', dueReason: 'NearingExpiry' },
  ],
  [
    'csr mode, reuse forbidden, not due yet',
    { mode: 'csr', csrPem: 'x' },
    { day: 10 },
    noReuse,
    { due: false, reason: 'NotDue' },
  ],
  [
    'csr mode, reuse forbidden, but a pending renewal (new CSR via API) is finished',
    { mode: 'csr', csrPem: 'x' },
    { day: 10, pendingGeneration: 2 },
    noReuse,
    { due: true, reason: 'PendingRenewal' },
  ],
];

describe('evaluateRenewal', () => {
  it.each(cases)('%s', (_name, overrides, { day, ...inputs }, options, expected) => {
    // Prepare
    const record = makeRecord(overrides);
    // Act
    const decision = evaluateRenewal(record, { ...inputs, now: at(day) }, options);
    // Assess
    expect(decision).toMatchObject(expected);
  });

  it('says when to look again when not due', () => {
    const decision = evaluateRenewal(makeRecord(), { now: at(1) }, reuse);
    expect(decision).toEqual({ due: false, reason: 'NotDue', recheckAt: at(60) });
  });
});
