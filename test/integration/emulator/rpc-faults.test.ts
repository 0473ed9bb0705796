import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Faults, startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { NLB_VERSION, PCA_VERSION, rpcClient, rpcFailure } from './rpc-support.js';
import { eventually } from '../../helpers/eventually.js';

describe('fault injection on the emulated RPC endpoint', () => {
  let emulator: Emulator;
  let listenerId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ dataPlane: false, jobDelayMs: 50, caKeyAlgorithm: 'ECC_256' });
    listenerId = emulator.listeners[0].listenerId;
  });
  beforeEach(() => {
    emulator.faults.clear();
    emulator.faults.resetCounts();
  });
  afterAll(() => emulator.close());

  const getListener = (readTimeoutMs?: number) =>
    rpcClient(emulator, NLB_VERSION, { readTimeoutMs })<{ ListenerId: string }>('GetListenerAttribute', {
      ListenerId: listenerId,
    });

  it.each([
    ['Throttling', Faults.throttling(), 'Throttling', 400],
    ['an internal error', Faults.internal(), 'InternalError', 500],
    ['service unavailable', Faults.unavailable(), 'ServiceUnavailable', 503],
    ['Conflict.Lock', Faults.conflictLock(), 'Conflict.Lock', 409],
  ])('the next calls fail with %s, then the action works again', async (_name, fault, code, status) => {
    emulator.faults.failNext('GetListenerAttribute', 2, fault);
    const first = await rpcFailure(getListener());
    const second = await rpcFailure(getListener());
    const third = await getListener();
    expect([first.code, first.statusCode, second.code]).toEqual([code, status, code]);
    expect(first.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(third.ListenerId).toBe(listenerId);
    expect(emulator.faults.count('GetListenerAttribute')).toBe(3);
  });

  it('a delay beyond the client timeout makes the client give up', async () => {
    emulator.faults.failNext('GetListenerAttribute', 1, Faults.delay(1_500));
    const err = await rpcFailure(getListener(200));
    expect(err.code).toBe('RequestTimeout');
    expect(err.statusCode).toBeUndefined();
  });

  it('a dropped connection gives the client a network error and no answer', async () => {
    emulator.faults.failNext('GetListenerAttribute', 1, Faults.drop());
    const err = await rpcFailure(getListener());
    const after = await getListener();
    expect(err.statusCode).toBeUndefined();
    expect(err.code).not.toBe('RequestTimeout');
    expect(after.ListenerId).toBe(listenerId);
  });

  it('a rate limit answers Throttling above N calls per second', async () => {
    emulator.faults.rateLimit('ListListeners', 3);
    const nlb = rpcClient(emulator, NLB_VERSION);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => nlb('ListListeners', {})));
    const throttled = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'Throttling',
    );
    expect([results.length - throttled.length, throttled.length]).toEqual([3, 2]);
  });

  it('a delayed UpdateListenerAttribute still takes effect; the retry with the same ClientToken gets the same job', async () => {
    emulator.faults.failNext('UpdateListenerAttribute', 1, Faults.delay(600));
    const params = { ListenerId: listenerId, IdleTimeout: 321, ClientToken: 'delayed-update-1' };
    const jobsBefore = emulator.nlb.jobs(listenerId).length;

    const timedOut = await rpcFailure(
      rpcClient(emulator, NLB_VERSION, { readTimeoutMs: 150 })('UpdateListenerAttribute', params),
    );
    const retry = await rpcClient(emulator, NLB_VERSION)<{ JobId: string }>('UpdateListenerAttribute', params);
    await new Promise((r) => setTimeout(r, 700)); // the delayed original lands now
    await emulator.nlb.whenRunning(listenerId);

    expect(timedOut.code).toBe('RequestTimeout');
    expect(emulator.nlb.jobs(listenerId).length).toBe(jobsBefore + 1);
    expect(emulator.nlb.getJob(retry.JobId)?.Status).toBe('Succeeded');
    expect(emulator.nlb.getListener(listenerId)?.IdleTimeout).toBe(321);
    expect(emulator.faults.count('UpdateListenerAttribute')).toBe(2);
  });

  it('a CSR issuance whose answer timed out is still carried out, and a retry issues another (no idempotency token)', async () => {
    const csr = await buildCsr({ keyPair: await generateKeyPair('EC_P256'), commonName: 'retry.example.com' });
    const params = { ParentIdentifier: emulator.ca.subCaIdentifier, Csr: csr, Days: 10, Immediately: 1 };
    const issuedBefore = emulator.cas.listClientCertificates().length;
    emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(400));

    const timedOut = await rpcFailure(
      rpcClient(emulator, PCA_VERSION, { readTimeoutMs: 100 })('CreateClientCertificateWithCsr', params),
    );
    await eventually(
      () => emulator.cas.listClientCertificates().length > issuedBefore,
      'the delayed original issues its certificate',
    );
    const retry = await rpcClient(emulator, PCA_VERSION)<{ Identifier: string }>(
      'CreateClientCertificateWithCsr',
      params,
    );

    expect(timedOut.code).toBe('RequestTimeout');
    // What the caller never saw exists all the same: shared/certificates/attempts.ts finds and adopts it instead.
    expect(emulator.cas.listClientCertificates().length).toBe(issuedBefore + 2);
    expect(emulator.cas.listClientCertificates().map((c) => c.identifier)).toContain(retry.Identifier);
  });

  it('counts every call per action, faulted or not', async () => {
    emulator.faults.failNext('GetJobStatus', 1, Faults.throttling());
    const nlb = rpcClient(emulator, NLB_VERSION);
    await rpcFailure(nlb('GetJobStatus', { JobId: 'x' }));
    await rpcFailure(nlb('GetJobStatus', { JobId: 'y' }));
    await getListener();
    expect(emulator.faults.byAction()).toEqual({ GetJobStatus: 2, GetListenerAttribute: 1 });
  });
});
