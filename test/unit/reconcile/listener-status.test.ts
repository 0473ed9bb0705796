// The console's view of the listeners: each run's report merged into the last one (pure).
import { mergeRunIntoStatus } from '../../../shared/domain/listeners/listener-status.js';
import type { ListenerResult, RunReport } from '../../../shared/domain/listeners/report.js';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 10, minute));

function result(listenerId: string, over: Partial<ListenerResult> = {}): ListenerResult {
  return { listenerId, region: 'cn-hangzhou', outcome: 'in-sync', drift: false, plan: [], durationMs: 5, ...over };
}
const report = (mode: 'plan' | 'apply', runId: string, results: ListenerResult[]): RunReport => ({
  runId,
  mode,
  results,
  summary: {} as RunReport['summary'],
});
const passed = {
  verdict: 'passed' as const,
  reasons: [],
  withClientCertificate: {
    outcome: 'answered' as const,
    clientCertificateSent: true,
    protocol: 'TLSv1.3',
    firstBytes: 'HTTP/1.1 200 OK..content-type: text/plain..x-backend: ECS01' + 'x'.repeat(200),
    peerCertificate: { commonName: 'www.example.com', dnsNames: [], fingerprintSha256: 'ab'.repeat(32) },
    durationMs: 3,
  },
  withoutClientCertificate: {
    outcome: 'refused' as const,
    clientCertificateSent: false,
    errorCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    errorMessage: 'alert 116',
    durationMs: 2,
  },
};

it('keeps the outcome, the rule and the handshake proof, without the backend answer beyond its first line', () => {
  // act
  const doc = mergeRunIntoStatus(
    undefined,
    report('apply', 'run-1', [
      result('lsn-a@443', { outcome: 'changed', probe: passed, jobId: 'job-1' }),
      result('lsn-b', {
        outcome: 'blocked',
        rule: 'client-ip-preservation-off',
        violations: [{ rule: 'client-ip-preservation-off', message: 'server group sgp-1 preserves client IPs' }],
      }),
    ]),
    at(0),
    true,
  );
  // assess
  const [a, b] = doc.listeners;
  expect(doc.updatedAt).toBe(at(0).toISOString());
  expect(a).toMatchObject({ listenerId: 'lsn-a@443', outcome: 'changed', mode: 'apply', jobId: 'job-1' });
  expect(a.proof).toEqual({
    at: at(0).toISOString(),
    runId: 'run-1',
    verdict: 'passed',
    reasons: [],
    withClientCertificate: {
      outcome: 'answered',
      clientCertificateSent: true,
      protocol: 'TLSv1.3',
      firstLine: 'HTTP/1.1 200 OK',
      serverCertificate: { commonName: 'www.example.com', fingerprintSha256: 'ab'.repeat(32) },
    },
    withoutClientCertificate: {
      outcome: 'refused',
      clientCertificateSent: false,
      errorCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    },
  });
  expect(b).toMatchObject({ outcome: 'blocked', rule: 'client-ip-preservation-off' });
  expect(b.proof).toBeUndefined();
});

it('keeps the last proof through a run that did not verify, and drops listeners no longer declared', () => {
  // prepare
  const first = mergeRunIntoStatus(
    undefined,
    report('apply', 'run-1', [result('lsn-a@443', { probe: passed }), result('lsn-gone')]),
    at(0),
    true,
  );
  // act: a plan run reports lsn-a by its id without the port
  const second = mergeRunIntoStatus(
    first,
    report('plan', 'run-2', [result('lsn-a', { outcome: 'changes-planned' })]),
    at(10),
    true,
  );
  // assess
  expect(second.listeners).toHaveLength(1);
  expect(second.listeners[0]).toMatchObject({ outcome: 'changes-planned', mode: 'plan', runId: 'run-2' });
  expect(second.listeners[0].proof).toMatchObject({ runId: 'run-1', at: at(0).toISOString() });
});

it('a run for one listener leaves the others as they were', () => {
  // prepare
  const first = mergeRunIntoStatus(
    undefined,
    report('apply', 'run-1', [result('lsn-a'), result('lsn-b', { outcome: 'failed', reason: 'JobTimeout' })]),
    at(0),
    true,
  );
  // act
  const second = mergeRunIntoStatus(first, report('apply', 'run-2', [result('lsn-a')]), at(5), false);
  // assess
  expect(second.listeners.map((l) => [l.listenerId, l.runId])).toEqual([
    ['lsn-a', 'run-2'],
    ['lsn-b', 'run-1'],
  ]);
  expect(second.listeners[1]).toMatchObject({ outcome: 'failed', reason: 'JobTimeout' });
});
