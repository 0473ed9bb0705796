/**
 * Issue 11 item 8 (secrets from KMS Secrets Manager) and item 9 (revocation without a redeploy) over the wire:
 * the functions get API_TOKENS, STATE_KEY and WEBHOOK_MASTER_KEY by secret NAME from the emulated KMS
 * (GetSecretValue, signed like every Alibaba RPC call); a revocation written with PutSecretValue is refused once
 * the cached list is older than its refresh period (clock injected).
 */
import { randomBytes } from 'node:crypto';
import { createHandler } from '../../../functions/cert-api/index.js';
import { createKmsSecretsClient } from '../../../shared/alibaba/kms.js';
import { createRpcCaller } from '../../../shared/alibaba/rpc.js';
import { parseEndpoint } from '../../../shared/config/alibaba.js';
import { createRefreshingTokenAuthenticator, hashToken, TOKEN_REFRESH_SECONDS } from '../../../shared/auth/tokens.js';
import { setLogSink } from '../../../shared/log/index.js';
import { createCachedSecretSource } from '../../../shared/secrets/secret-source.js';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { DEVICE_POLICY } from '../cert-api/harness.js';

let emulator: Emulator;
let restore: (line: string) => void;
const token = randomBytes(24).toString('base64url');
const tokens = (extra: Record<string, unknown> = {}) =>
  JSON.stringify([{ tokenSha256: hashToken(token), tenant: 'acme', name: 'kms-ci', policy: DEVICE_POLICY, ...extra }]);
let kmsCall: ReturnType<typeof createRpcCaller>;

beforeAll(async () => {
  restore = setLogSink(() => undefined);
  emulator = await startEmulator({ caKeyAlgorithm: 'ECC_256', dataPlane: false });
  kmsCall = createRpcCaller('2016-01-20', parseEndpoint(emulator.rpcUrl, emulator.region), emulator.credentials);
  const create = (name: string, data: string) =>
    kmsCall('CreateSecret', { SecretName: name, SecretData: data, VersionId: 'v1', SecretDataType: 'text' });
  await create('nlb-mtls/api-tokens', tokens());
  await create('nlb-mtls/state-key', randomBytes(32).toString('base64'));
  await create('nlb-mtls/webhook-master-key', randomBytes(32).toString('base64'));
});
afterAll(async () => {
  await emulator?.close();
  setLogSink(restore);
});

it('cert-api runs with its secrets named, not given, and reads them from KMS', async () => {
  // prepare: the env as s.yaml sets it in the cloud (names only)
  const env = {
    ...emulator.env(),
    KMS_ENDPOINT: emulator.rpcUrl,
    API_TOKENS_SECRET_NAME: 'nlb-mtls/api-tokens',
    STATE_KEY_SECRET_NAME: 'nlb-mtls/state-key',
    WEBHOOK_MASTER_KEY_SECRET_NAME: 'nlb-mtls/webhook-master-key',
  };
  const handler = createHandler(env);
  const event = {
    version: 'v1',
    rawPath: '/v1/certificates',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    queryParameters: {},
    body: JSON.stringify({ commonName: 'kms.devices.example.com', keyAlgorithm: 'EC_P256' }),
    isBase64Encoded: false,
    requestContext: { requestId: 'r1', http: { method: 'POST', path: '/v1/certificates' } },
  };
  // act
  const answer = await handler(Buffer.from(JSON.stringify(event)), {});
  // assess
  expect(answer.statusCode).toBe(201);
  expect(Object.keys(env).filter((k) => ['API_TOKENS', 'STATE_KEY', 'WEBHOOK_MASTER_KEY'].includes(k))).toEqual([]);
});

it('a token revoked in KMS (PutSecretValue) is refused once the cached list is one refresh period old', async () => {
  // prepare
  let now = new Date();
  const clock = { now: () => now };
  const kms = createKmsSecretsClient(parseEndpoint(emulator.rpcUrl, emulator.region), emulator.credentials);
  const source = createCachedSecretSource({
    fetch: async (name) => (await kms.getSecretValue(name)).secretData,
    ttlMs: TOKEN_REFRESH_SECONDS * 1000,
    clock,
  });
  const auth = createRefreshingTokenAuthenticator({ load: () => source.get('nlb-mtls/api-tokens'), clock });
  await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ tenant: 'acme' });
  // act: the operator revokes it in the secret store
  await kmsCall('PutSecretValue', {
    SecretName: 'nlb-mtls/api-tokens',
    VersionId: 'v2',
    SecretData: tokens({ revokedAt: new Date(now.getTime() - 1000).toISOString() }),
  });
  now = new Date(now.getTime() + TOKEN_REFRESH_SECONDS * 1000);
  // assess
  await expect(auth.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
  expect((await kms.getSecretValue('nlb-mtls/api-tokens')).versionId).toBe('v2');
});
