/**
 * Puts the local stack's secrets into the emulator's KMS Secrets Manager, so the functions read them by name exactly
 * as in the cloud (`X_SECRET_NAME`, shared/secrets/cold-start.ts). CreateSecret the first time, PutSecretValue
 * (a new ACSCurrent version) when the value changed since: the same calls an operator makes with the aliyun CLI.
 */
import { randomBytes } from 'node:crypto';
import { createRpcCaller, RpcError, type AlibabaCredentials } from '../../shared/alibaba/rpc.js';
import { KMS_API_VERSION } from '../../shared/alibaba/kms.js';
import { parseEndpoint } from '../../shared/config/alibaba.js';

/** The secret names the local stack uses (the docs suggest the same ones for the cloud). */
export const LOCAL_SECRET_NAMES = {
  API_TOKENS: 'nlb-mtls/api-tokens',
  STATE_KEY: 'nlb-mtls/state-key',
  WEBHOOK_MASTER_KEY: 'nlb-mtls/webhook-master-key',
} as const;

export async function seedKmsSecrets(
  rpcUrl: string,
  region: string,
  credentials: AlibabaCredentials,
  values: Record<keyof typeof LOCAL_SECRET_NAMES, string>,
): Promise<void> {
  const call = createRpcCaller(KMS_API_VERSION, parseEndpoint(rpcUrl, region), credentials);
  for (const [variable, secretName] of Object.entries(LOCAL_SECRET_NAMES) as Array<
    [keyof typeof LOCAL_SECRET_NAMES, string]
  >) {
    const secretData = values[variable];
    let current: string | undefined;
    try {
      current = (await call<{ SecretData?: string }>('GetSecretValue', { SecretName: secretName })).SecretData;
    } catch (err) {
      if (!(err instanceof RpcError) || err.statusCode !== 404) throw err;
    }
    if (current === secretData) continue;
    const versionId = `v${Date.now()}-${randomBytes(3).toString('hex')}`;
    await call(current === undefined ? 'CreateSecret' : 'PutSecretValue', {
      SecretName: secretName,
      SecretData: secretData,
      SecretDataType: 'text',
      VersionId: versionId,
    });
  }
}
