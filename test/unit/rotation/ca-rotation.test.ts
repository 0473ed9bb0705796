// The pure decisions of a CA rotation, table-driven: which command runs in which stage, the gate's share per tenant,
// the CA a rotation says a listener must trust, and what makes a target CA or a threshold unacceptable.
import {
  caChangeAttempt,
  commandRefusal,
  gateShare,
  holdsSuccessor,
  rotationCaFor,
  targetCaProblems,
  thresholdProblem,
  type CaRotation,
  type RotationStage,
} from '../../../shared/domain/rotation/ca-rotation.js';

const now = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;

function rotation(stage: RotationStage): CaRotation {
  return {
    v: 1,
    id: 'rot-1',
    stage,
    createdAt: '',
    updatedAt: '',
    from: { caId: 'R1', issuingCa: 'S1' },
    to: { caId: 'R2', issuingCa: 'S2' },
    thresholdPercent: 90,
    listeners: [{ listenerId: 'lsn-a@443', region: 'cn-hangzhou' }],
    history: [],
  };
}

describe('commandRefusal: each command in its stages, a resumed one in its own -ing stage', () => {
  it.each([
    ['prepare', undefined, undefined],
    ['prepare', 'preparing', undefined],
    ['prepare', 'finished', undefined],
    ['prepare', 'switched', /is switched: prepare is not possible now; next: finish, or rollback/],
    ['gate', undefined, /no CA rotation is in progress/],
    ['gate', 'prepared', undefined],
    ['switch', 'prepared', undefined],
    ['switch', 'switching', undefined],
    ['switch', 'preparing', /next: prepare \(to finish it\)/],
    ['finish', 'prepared', /next: gate, then switch/],
    ['finish', 'switched', undefined],
    ['finish', 'finishing', undefined],
    ['rollback', 'switched', undefined],
    ['rollback', 'rolling-back', undefined],
    ['rollback', 'finished', /no CA rotation is in progress/],
    ['rollback', 'finishing', /next: finish \(to finish it\)/],
  ] as const)('%s in %s', (command, stage, expected) => {
    const found = commandRefusal(command, stage ? rotation(stage) : undefined);
    if (expected === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(expected);
  });
});

describe('gateShare', () => {
  it('per tenant and overall, rounded down to hundredths; passes at the threshold', () => {
    const clients = [
      { tenant: 'a', holding: true },
      { tenant: 'a', holding: true },
      { tenant: 'a', holding: false },
      { tenant: 'b', holding: true },
    ];
    expect(gateShare(clients, 75, now)).toEqual({
      at: now.toISOString(),
      total: { clients: 4, holding: 3, percent: 75 },
      perTenant: { a: { clients: 3, holding: 2, percent: 66.66 }, b: { clients: 1, holding: 1, percent: 100 } },
      thresholdPercent: 75,
      passed: true,
    });
    expect(gateShare(clients, 75.01, now).passed).toBe(false);
  });
  it('no clients at all: 100%', () => {
    expect(gateShare([], 100, now)).toMatchObject({ total: { clients: 0, percent: 100 }, passed: true });
  });
  it('holding = delivered by webhook or picked up; issued alone is not', () => {
    const base = {
      v: 1 as const,
      rotationId: 'r',
      clientId: 'c',
      tenant: 't',
      commonName: 'n',
      mode: 'csr' as const,
      successorId: 's',
      issuedAt: '',
    };
    expect(holdsSuccessor(base)).toBe(false);
    expect(holdsSuccessor({ ...base, webhook: { failedAt: 'x', code: 'TIMEOUT' } })).toBe(false);
    expect(holdsSuccessor({ ...base, webhook: { deliveredAt: 'x' } })).toBe(true);
    expect(holdsSuccessor({ ...base, pickedUpAt: 'x' })).toBe(true);
  });
});

describe('rotationCaFor: what a rotation says a listener must trust', () => {
  it.each([
    ['preparing', 'R1', 'R1'],
    ['prepared', 'R1', 'R1'],
    ['prepared', 'R2', 'R1'], // declared early: the old CA holds until the switch
    ['switching', 'R1', 'hold'],
    ['switched', 'R1', 'R2'],
    ['finishing', 'R1', 'R2'],
    ['finished', 'R1', 'R2'], // the desired state not updated yet
    ['finished', 'R2', 'R2'],
    ['rolling-back', 'R1', 'hold'],
    ['rolled-back', 'R1', undefined],
    ['switched', 'R3', undefined], // the declaration names a third CA: the operator's newer decision
  ] as const)('%s, declared %s -> %s', (stage, declared, expected) => {
    expect(rotationCaFor(rotation(stage), 'lsn-a', declared)).toBe(expected);
  });
  it('only for its own listeners', () => {
    expect(rotationCaFor(rotation('switched'), 'lsn-b', 'R1')).toBeUndefined();
    expect(rotationCaFor(undefined, 'lsn-a', 'R1')).toBeUndefined();
  });
});

describe('a new ClientToken per attempt, the same while one is resumed', () => {
  it('counts the switch and rollback starts and the failed switches', () => {
    const r = rotation('prepared');
    const at = (event: string) => ({ at: '', event });
    expect(caChangeAttempt({ history: [at('prepare-started'), at('prepared')] })).toBe(0);
    expect(caChangeAttempt({ ...r, history: [at('switch-started')] })).toBe(1);
    expect(caChangeAttempt({ ...r, history: [at('switch-started'), at('switch-failed'), at('switch-started')] })).toBe(
      3,
    );
  });
});

describe('thresholdProblem and targetCaProblems', () => {
  it.each([[0], [50], [100], [99.5]])('%d%% is a threshold', (t) => expect(thresholdProblem(t)).toBeUndefined());
  it.each([[-1], [100.1], [Number.NaN], [Infinity]])('%d is not', (t) =>
    expect(thresholdProblem(t)).toMatch(/threshold must be a percentage from 0 to 100/),
  );

  const ca = (over: Partial<{ status: string; notAfter: Date; type: string }> = {}) => ({
    identifier: 'x',
    certificatePem: '',
    status: 'ISSUE',
    notAfter: new Date(now.getTime() + 365 * DAY),
    type: 'SUB_ROOT',
    ...over,
  });
  const input = (over: Record<string, unknown> = {}) => ({
    from: { caId: 'R1', issuingCa: 'S1' },
    to: { caId: 'R2', issuingCa: 'S2' },
    toCa: ca({ type: 'ROOT' }),
    toIssuing: ca(),
    issuingUnderTarget: true,
    ...over,
  });
  it.each([
    ['fine', input(), []],
    ['the same CA as today', input({ to: { caId: 'R1', issuingCa: 'S2' } }), [/already trust R1/]],
    ['a missing CA', input({ toCa: undefined }), [/new CA R2 was not found/]],
    ['a revoked CA', input({ toCa: ca({ type: 'ROOT', status: 'REVOKE' }) }), [/new CA R2 is REVOKE/]],
    [
      'an expiring sub-CA',
      input({ toIssuing: ca({ notAfter: new Date(now.getTime() + 10 * DAY) }) }),
      [/S2 expires .* \(10 days left, at least 30 needed\)/],
    ],
    [
      'a root as issuing CA',
      input({ toIssuing: ca({ type: 'ROOT' }) }),
      [/is a ROOT: client certificates come from a sub-CA/],
    ],
    ['a sub-CA of another root', input({ issuingUnderTarget: false }), [/does not chain to the new CA R2/]],
  ] as const)('%s', (_name, i, expected) => {
    const found = targetCaProblems(i as Parameters<typeof targetCaProblems>[0], now);
    expect(found).toHaveLength(expected.length);
    expected.forEach((re, k) => expect(found[k]).toMatch(re));
  });
});
