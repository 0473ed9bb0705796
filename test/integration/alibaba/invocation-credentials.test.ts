// Prepare: an emulator that accepts only the "new" key pair, and adapters built at cold start with the "old" one
// (the env's copy). Act: calls before and after an invocation hands its context.credentials over. Assess: the same
// long-lived clients (RPC, OSS, FC) sign with the invocation's keys from then on (D10).
import { randomBytes } from 'node:crypto';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { invocationCredentials, withInvocationCredentials } from '../../../shared/alibaba/credentials.js';
import { createFcAsyncInvoker } from '../../../shared/alibaba/fc-invoker.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { createRpcCaller, RpcError } from '../../../shared/alibaba/rpc.js';
import { loadAlibabaConfig } from '../../../shared/config/alibaba.js';

const key = () => ({
  accessKeyId: `LTAI${randomBytes(8).toString('hex')}`,
  accessKeySecret: randomBytes(16).toString('hex'),
});

describe('credentials per invocation', () => {
  const old = key();
  const current = key();
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [current], seed: false, dataPlane: false });
    emulator.fc.register('echo', async () => 'ok');
  });
  afterAll(() => emulator.close());
  afterEach(() => invocationCredentials.reset());

  it('signs RPC, OSS and FC calls with the keys of the invocation being served, not the cold-start env', async () => {
    const config = loadAlibabaConfig({
      ...emulator.env(),
      ALIBABA_CLOUD_ACCESS_KEY_ID: old.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: old.accessKeySecret,
    });
    const cas = createRpcCaller('2020-06-30', config.cas, config.credentials);
    const store = createOssObjectStore({ ...config.oss, credentials: config.credentials, region: config.region });
    const fc = createFcAsyncInvoker({
      endpoint: config.fc,
      credentials: config.credentials,
      region: config.region,
      accountId: config.fc.accountId,
    });
    const calls = () =>
      Promise.allSettled([
        cas('DescribeCACertificate', { Identifier: emulator.ca.rootIdentifier }),
        store.put('probe/a.txt', 'a'),
        fc.invokeAsync('echo', {}),
      ]);

    const before = await calls();
    const handler = withInvocationCredentials(async (_event: unknown, _context: unknown) => calls());
    const during = await handler({}, { requestId: 'r-1', credentials: { ...current, securityToken: '' } });

    expect(before.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((before[0] as PromiseRejectedResult).reason).toBeInstanceOf(RpcError);
    expect(during.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    await emulator.fc.idle();
  });

  it('caps links signed with STS keys at STS_LINK_MAX_SECONDS (a link dies with its token), and only then', async () => {
    const sts = loadAlibabaConfig({
      ...emulator.env(),
      ALIBABA_CLOUD_SECURITY_TOKEN: 'token',
      STS_LINK_MAX_SECONDS: '600',
    });
    const plain = loadAlibabaConfig(emulator.env());
    const stsStore = createOssObjectStore({
      ...sts.oss,
      credentials: sts.credentials,
      region: sts.region,
      stsLinkMaxSeconds: sts.signedLinkMaxSeconds,
    });

    expect([sts.signedLinkMaxSeconds, plain.signedLinkMaxSeconds]).toEqual([600, 604_800]);
    await expect(stsStore.signedGetUrl('k', { expiresInSeconds: 601, filename: 'a.p12' })).rejects.toThrow(
      /at most 600 s/,
    );
    await expect(stsStore.signedGetUrl('k', { expiresInSeconds: 600, filename: 'a.p12' })).resolves.toMatch(
      /x-oss-expires=600/,
    );
  });
});
