// Prepare: a desired listener, its plan and run ids. Act: listenerClientToken. Assess: stable within a run,
// different when anything that matters changes, and within NLB's 64-character limit.
import { desiredStateHash, listenerClientToken } from '../../../shared/domain/listeners/client-token.js';
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
const actual: ListenerAttributes = {
  listenerId: 'lsn-1',
  region: 'cn-hangzhou',
  protocol: 'TCPSSL',
  port: 443,
  status: 'Running',
  caEnabled: false,
  caCertificateIds: [],
  certificateIds: ['100-cn-hangzhou'],
  securityPolicyId: 'tls_cipher_policy_1_2',
};

describe('listenerClientToken', () => {
  const plan = diffListener(desired, actual, ids);
  const token = listenerClientToken(desired, plan, 'run-1');

  it('is the same for a retry in the same run (no second job)', () => {
    expect(listenerClientToken({ ...desired }, diffListener(desired, { ...actual }, ids), 'run-1')).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9-]{1,64}$/);
  });

  it.each<[string, () => string]>([
    [
      'another run (the same drift found again must be repaired again)',
      () => listenerClientToken(desired, plan, 'run-2'),
    ],
    [
      'another desired CA',
      () =>
        listenerClientToken(
          { ...desired, caCertificateId: 'ca-2' },
          diffListener({ ...desired, caCertificateId: 'ca-2' }, actual, ids),
          'run-1',
        ),
    ],
    ['another listener', () => listenerClientToken({ ...desired, listenerId: 'lsn-2' }, plan, 'run-1')],
    [
      'another starting state',
      () =>
        listenerClientToken(
          desired,
          diffListener(desired, { ...actual, securityPolicyId: 'tls_cipher_policy_1_0' }, ids),
          'run-1',
        ),
    ],
  ])('differs for %s', (_name, other) => {
    expect(other()).not.toBe(token);
  });

  it('hashes the desired state without the probe (a probe change is no listener change)', () => {
    expect(desiredStateHash({ ...desired, probe: { ...desired.probe, port: 8443 } })).toBe(desiredStateHash(desired));
    expect(desiredStateHash({ ...desired, securityPolicyId: 'tls_cipher_policy_1_0' })).not.toBe(
      desiredStateHash(desired),
    );
  });
});
