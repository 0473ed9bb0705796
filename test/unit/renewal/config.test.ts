// Env is read once at cold start: defaults, and a clear message naming the bad variable (never its value).
import { loadRenewSchedulerConfig, loadRenewWorkerConfig } from '../../../shared/config/renewal.js';

const alibaba = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'ak',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'sk-secret-value',
  OSS_BUCKET: 'nma-bucket',
};
const MASTER = Buffer.alloc(32, 9).toString('base64');
const worker = {
  ...alibaba,
  PCA_PARENT_IDENTIFIER: 'sub-ca-1',
  STATE_KEY: Buffer.alloc(32, 7).toString('base64'),
  WEBHOOK_MASTER_KEY: MASTER,
};

describe('renewal config', () => {
  it('has working defaults', () => {
    expect(loadRenewSchedulerConfig(alibaba)).toMatchObject({
      workerFunctionName: 'nlb-mtls-renew-worker',
      batchSize: 25,
      maxItemsPerSweep: 5000,
      invokeConcurrency: 8,
    });
    expect(loadRenewWorkerConfig(worker)).toMatchObject({
      concurrency: 4,
      csrKeyReuse: true,
      backoff: { baseMs: 300_000, maxMs: 28_800_000, jitterRatio: 0.2 },
      expiringNoticeDays: [30, 7, 1],
      linkSeconds: 86_400,
      webhook: { masterKey: Buffer.alloc(32, 9), timeoutMs: 5000, maxAttempts: 3, allowLoopback: false },
    });
  });

  it('reads the options', () => {
    const c = loadRenewWorkerConfig({
      ...worker,
      RENEW_CSR_KEY_REUSE: 'false',
      EXPIRING_NOTICE_DAYS: '1,14,3',
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
    });
    expect(c).toMatchObject({
      csrKeyReuse: false,
      expiringNoticeDays: [14, 3, 1],
      webhook: {
        allowLoopback: true,
      },
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no STATE_KEY', { STATE_KEY: '' }, /STATE_KEY/],
    [
      'a short STATE_KEY',
      { STATE_KEY: Buffer.alloc(16).toString('base64') },
      /STATE_KEY must be base64 of exactly 32 bytes/,
    ],
    ['a bad integer', { RENEW_CONCURRENCY: '0' }, /RENEW_CONCURRENCY: must be an integer from 1 to 32/],
    ['base above max', { RENEW_BACKOFF_BASE_SECONDS: '7200', RENEW_BACKOFF_MAX_SECONDS: '3600' }, /must not exceed/],
    ['bad notice days', { EXPIRING_NOTICE_DAYS: '30;7' }, /EXPIRING_NOTICE_DAYS/],
    ['no webhook master key', { WEBHOOK_MASTER_KEY: '' }, /WEBHOOK_MASTER_KEY/],
    ['a short webhook master key', { WEBHOOK_MASTER_KEY: 'c2hvcnQ=' }, /at least 32 bytes/],
    ['a boolean that is not one', { RENEW_CSR_KEY_REUSE: 'no' }, /RENEW_CSR_KEY_REUSE/],
  ])('refuses %s', (_name, patch, message) => {
    expect(() => loadRenewWorkerConfig({ ...worker, ...patch })).toThrow(message);
  });

  it('never puts a secret value in the error', () => {
    expect(() => loadRenewWorkerConfig({ ...worker, WEBHOOK_MASTER_KEY: 'dGlueS1zZWNyZXQ=' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('dGlueS1zZWNyZXQ=') }),
    );
  });

  it('refuses a bad function name for the scheduler', () => {
    expect(() => loadRenewSchedulerConfig({ ...alibaba, RENEW_WORKER_FUNCTION: 'a b' })).toThrow(
      /RENEW_WORKER_FUNCTION/,
    );
  });
});
