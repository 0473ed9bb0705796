// The pure decisions about a managed listener server certificate, table-driven with an injected clock.
import {
  decideManagedCertificate,
  issuanceProblems,
  managedSpecHash,
  renewAtOf,
  retirementsDue,
  serverNameProblem,
  ManagedServerCertificateSchema,
  type ManagedCertificateState,
  type ManagedServerCertificate,
} from '../../../shared/domain/listeners/managed-certificate.js';
import { serverCertificateNoticeDue } from '../../../shared/domain/listeners/server-certificate-expiry.js';

const DAY = 86_400_000;
const t0 = new Date('2026-12-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);

const spec: ManagedServerCertificate = {
  names: ['www.example.com'],
  keyAlgorithm: 'EC_P256',
  validityDays: 90,
  renewBeforeDays: 30,
  issuer: 'sub-ca-1',
  retireAfterHours: 24,
};

function stateWith(notBefore: Date, notAfter: Date, s: ManagedServerCertificate = spec): ManagedCertificateState {
  return {
    v: 1,
    listenerId: 'lsn-a',
    current: {
      certId: '100',
      certIdentifier: '100-cn-hangzhou',
      serialNumber: 'ab',
      casIdentifier: 'x',
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      fingerprintSha256: 'f',
      specHash: managedSpecHash(s),
    },
    retired: [],
  };
}

describe('decideManagedCertificate', () => {
  const current = stateWith(t0, at(90));
  it.each([
    ['nothing issued yet', undefined, true, t0, { action: 'replace', reason: 'no-certificate' }],
    ['gone from the store', current, false, at(1), { action: 'replace', reason: 'missing-from-store' }],
    ['fresh', current, true, at(59), { action: 'keep' }],
    ['renewal window (90 - 30 days)', current, true, at(60), { action: 'replace', reason: 'renewal-window' }],
    ['expired', current, true, at(91), { action: 'replace', reason: 'expired' }],
  ] as const)('%s', (_name, state, inStore, now, expected) => {
    expect(decideManagedCertificate(spec, state, inStore, now)).toMatchObject(expected);
  });

  it('a changed declaration (names, key, lifetime, issuer) means a new certificate at once', () => {
    for (const changed of [
      { ...spec, names: ['www.example.com', 'api.example.com'] },
      { ...spec, keyAlgorithm: 'EC_P384' as const },
      { ...spec, validityDays: 30, renewBeforeDays: 10 },
      { ...spec, issuer: 'sub-ca-2' },
    ])
      expect(decideManagedCertificate(changed, current, true, at(1))).toMatchObject({
        action: 'replace',
        reason: 'declaration-changed',
      });
    // The grace period and renew-before are not properties of the certificate.
    expect(
      decideManagedCertificate({ ...spec, retireAfterHours: 1, renewBeforeDays: 20 }, current, true, at(1)),
    ).toMatchObject({
      action: 'keep',
    });
  });

  it('a replacement in flight is finished first, whatever the clock says', () => {
    const pending = {
      ...current,
      pending: { startedAt: '', reason: 'renewal-window' as const, specHash: '', customIdentifier: 'c', csrPem: '' },
    };
    expect(decideManagedCertificate(spec, pending, true, at(1))).toEqual({
      action: 'resume',
      pending: pending.pending,
    });
  });
});

describe('renewAtOf (cert-manager: renew-before when shorter than the lifetime, else 2/3)', () => {
  it.each([
    [90, 30, 60],
    [90, undefined, 60],
    [30, undefined, 20],
    [10, 30, 10 * (2 / 3)],
  ])('lifetime %d days, renewBefore %s -> day %d', (life, before, day) => {
    expect(renewAtOf(t0, at(life), before).getTime()).toBeCloseTo(at(day).getTime(), -3);
  });
});

describe('names a certificate may carry (refused at parse time, with the path)', () => {
  it.each([
    ['www.example.com', undefined],
    ['*.example.com', undefined],
    ['192.0.2.1', undefined],
    ['2001:db8::1', undefined],
    ['WWW.example.com', 'must be lower case'],
    ['*.com', 'is a wildcard for a top-level domain'],
    ['www.*.example.com', 'has a wildcard that is not the whole leftmost label'],
    ['w*w.example.com', 'has a wildcard that is not the whole leftmost label'],
    ['bad_name.example.com', 'has an invalid label "bad_name"'],
    ['a,b.example.com', 'contains a comma'],
    ['localhost', 'is not a fully qualified host name'],
    [' www.example.com', 'is empty or has spaces around it'],
  ])('%s', (name, problem) => {
    const found = serverNameProblem(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('the common name (the first name) is at most 64 characters; renewBeforeDays below validityDays; no duplicates', () => {
    const long = `${'a'.repeat(60)}.example.com`;
    const issues = (m: unknown) =>
      ManagedServerCertificateSchema.safeParse(m).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ names: [long] })).toEqual([
      expect.stringMatching(/^names\.0: the first name becomes the common name/),
    ]);
    expect(issues({ names: ['www.example.com', long] })).toEqual([]);
    expect(issues({ names: ['www.example.com'], validityDays: 30, renewBeforeDays: 30 })).toEqual([
      'renewBeforeDays: must be less than validityDays',
    ]);
    expect(issues({ names: ['a.example.com', 'a.example.com'] })).toEqual(['names: a name is listed twice']);
    expect(issues({ names: [] })[0]).toMatch(/^names:/);
    expect(issues({ names: ['www.example.com'], keyAlgorithm: 'RSA_1024' })[0]).toMatch(/^keyAlgorithm:/);
  });
});

describe('issuanceProblems: what CAS would refuse, before anything is made', () => {
  const subCa = {
    identifier: 'sub-ca-1',
    certificatePem: '',
    status: 'ISSUE',
    notAfter: at(365),
    type: 'SUB_ROOT',
    keyFamily: 'EC' as const,
  };
  it.each([
    ['fine', spec, subCa, []],
    ['no such sub-CA', spec, undefined, [/was not found/]],
    ['a root as issuer', spec, { ...subCa, type: 'ROOT' }, [/only a subordinate CA issues/]],
    ['a revoked sub-CA', spec, { ...subCa, status: 'REVOKE' }, [/is REVOKE, not issued/]],
    [
      'another key family',
      { ...spec, keyAlgorithm: 'RSA_2048' as const },
      subCa,
      [/not of the sub-CA's key family \(EC\)/],
    ],
    ['longer than the sub-CA', { ...spec, validityDays: 400 }, subCa, [/would outlive the issuing sub-CA/]],
  ] as const)('%s', (_name, s, issuer, expected) => {
    const found = issuanceProblems(s, issuer, t0);
    expect(found).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(found[i]).toMatch(re));
  });
});

describe('retirementsDue', () => {
  it('only after the grace period', () => {
    const state: ManagedCertificateState = {
      ...stateWith(t0, at(90)),
      retired: [
        {
          certId: '1',
          certIdentifier: '1-x',
          serialNumber: 'a',
          retiredAt: t0.toISOString(),
          deleteAfter: at(1).toISOString(),
        },
      ],
    };
    expect(retirementsDue(state, new Date(at(1).getTime() - 1))).toEqual([]);
    expect(retirementsDue(state, at(1)).map((r) => r.certId)).toEqual(['1']);
  });
});

describe('serverCertificateNoticeDue: 30, 7 and 1 days before, each once', () => {
  const notAfter = at(100);
  it('sends each threshold once, the most urgent when several are crossed at once', () => {
    expect(serverCertificateNoticeDue(notAfter, undefined, at(60))).toBeUndefined();
    const first = serverCertificateNoticeDue(notAfter, undefined, at(70))!;
    expect(first).toEqual({ thresholdDays: 30, daysLeft: 30, notified: [30] });
    const seen = { notAfter: notAfter.toISOString(), notified: first.notified };
    expect(serverCertificateNoticeDue(notAfter, seen, at(75))).toBeUndefined();
    expect(serverCertificateNoticeDue(notAfter, seen, at(99.5))).toEqual({
      thresholdDays: 1,
      daysLeft: 0,
      notified: [30, 7, 1],
    });
    expect(serverCertificateNoticeDue(notAfter, { ...seen, notified: [30, 7, 1] }, at(99.5))).toBeUndefined();
    expect(serverCertificateNoticeDue(notAfter, seen, at(101))).toBeUndefined();
  });
  it('a certificate replaced under the same CertId (a new notAfter) starts over', () => {
    const seen = { notAfter: notAfter.toISOString(), notified: [30, 7, 1] };
    expect(serverCertificateNoticeDue(at(200), seen, at(171))).toMatchObject({ thresholdDays: 30 });
  });
});
