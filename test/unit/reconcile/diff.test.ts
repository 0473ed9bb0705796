// Prepare: a desired listener and an actual one differing in one way at a time. Act: diffListener.
// Assess: the (field, from, to) lines and the one update request; in sync means an empty request.
import { diffListener } from '../../../shared/domain/listeners/diff.js';
import type { ListenerMtls } from '../../../shared/domain/listeners/desired-state.js';
import type { ListenerAttributes } from '../../../shared/domain/listeners/ports.js';

const ids = { serverCertificateId: '100-cn-hangzhou' };

const desired: ListenerMtls = {
  region: 'cn-hangzhou',
  listenerId: 'lsn-1',
  mutualAuth: true,
  caCertificateId: 'ca-root',
  serverCertId: '100',
  securityPolicyId: 'tls_cipher_policy_1_2',
  probe: { host: 'www.example.com', port: 443, sni: 'www.example.com', address: 'www.example.com', request: 'http' },
};
const inSync: ListenerAttributes = {
  listenerId: 'lsn-1',
  region: 'cn-hangzhou',
  protocol: 'TCPSSL',
  port: 443,
  status: 'Running',
  caEnabled: true,
  caCertificateIds: ['ca-root'],
  certificateIds: ['100-cn-hangzhou'],
  securityPolicyId: 'tls_cipher_policy_1_2',
  serverGroupId: 'sgp-1',
};
const off: ListenerMtls = { ...desired, mutualAuth: false, caCertificateId: undefined };

describe('diffListener', () => {
  it.each<[string, ListenerMtls, Partial<ListenerAttributes>, object[], object]>([
    ['in sync', desired, {}, [], {}],
    [
      'in sync with an additional server certificate after the default one',
      desired,
      { certificateIds: ['100-cn-hangzhou', '200-cn-hangzhou'] },
      [],
      {},
    ],
    [
      "mutual auth off, no CA yet (the seed's starting point)",
      desired,
      { caEnabled: false, caCertificateIds: [] },
      [
        { field: 'caEnabled', from: false, to: true },
        { field: 'caCertificateId', from: null, to: 'ca-root' },
      ],
      { caEnabled: true, caCertificateIds: ['ca-root'] },
    ],
    [
      'mutual auth switched off behind our back (CA still set)',
      desired,
      { caEnabled: false },
      [{ field: 'caEnabled', from: false, to: true }],
      { caEnabled: true, caCertificateIds: ['ca-root'] },
    ],
    [
      'another CA',
      desired,
      { caCertificateIds: ['ca-old'] },
      [{ field: 'caCertificateId', from: 'ca-old', to: 'ca-root' }],
      { caCertificateIds: ['ca-root'] },
    ],
    [
      'another server certificate',
      desired,
      { certificateIds: ['99-cn-hangzhou'] },
      [{ field: 'serverCertificateId', from: '99-cn-hangzhou', to: '100-cn-hangzhou' }],
      { certificateIds: ['100-cn-hangzhou'] },
    ],
    [
      'another TLS policy',
      desired,
      { securityPolicyId: 'tls_cipher_policy_1_0' },
      [{ field: 'securityPolicyId', from: 'tls_cipher_policy_1_0', to: 'tls_cipher_policy_1_2' }],
      { securityPolicyId: 'tls_cipher_policy_1_2' },
    ],
    ['declared off and on', off, {}, [{ field: 'caEnabled', from: true, to: false }], { caEnabled: false }],
    ['declared off and off, whatever CA is set', off, { caEnabled: false, caCertificateIds: ['ca-other'] }, [], {}],
  ])('%s', (_name, want, actualPatch, changes, update) => {
    const plan = diffListener(want, { ...inSync, ...actualPatch }, ids);

    expect(plan.changes).toEqual(changes);
    expect(plan.update).toEqual(update);
  });

  it('marks a CA replacement for the lock-out check, not a first CA', () => {
    expect(diffListener(desired, { ...inSync, caCertificateIds: ['ca-old'] }, ids).caReplacement).toEqual({
      from: 'ca-old',
      to: 'ca-root',
    });
    expect(
      diffListener(desired, { ...inSync, caEnabled: false, caCertificateIds: [] }, ids).caReplacement,
    ).toBeUndefined();
  });

  it('turns mutual auth off only for an explicit mutualAuth: off', () => {
    expect(diffListener(off, inSync, ids).disablesMutualAuth).toBe(true);
    expect(diffListener(desired, inSync, ids).disablesMutualAuth).toBe(false);
    expect(diffListener(desired, { ...inSync, caEnabled: false }, ids).disablesMutualAuth).toBe(false);
  });
});
