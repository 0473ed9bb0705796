/**
 * KMS Secrets Manager (KMS 2016-01-20), read-only: `GetSecretValue` through the signed RPC caller (./rpc.ts), the
 * one call the functions make. Model: aliyun/alibabacloud-typescript-sdk `kms-20160120/src/models/
 * GetSecretValueRequest.ts` (SecretName, VersionStage default ACSCurrent) and `GetSecretValueResponseBody.ts`
 * (SecretData, SecretDataType text|binary, VersionId). Endpoint: `kms.<region>.aliyuncs.com`, or
 * `kms-vpc.<region>.aliyuncs.com` inside a VPC (KMS endpoint list), overridden by KMS_ENDPOINT.
 */
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, type RpcEndpoint } from './rpc.js';

export const KMS_API_VERSION = '2016-01-20';

export interface KmsSecretValue {
  secretData: string;
  versionId?: string;
}

export interface KmsSecretsClient {
  getSecretValue(secretName: string): Promise<KmsSecretValue>;
}

export function createKmsSecretsClient(endpoint: RpcEndpoint, credentials: CredentialInput): KmsSecretsClient {
  const call = createRpcCaller(KMS_API_VERSION, endpoint, credentials);
  return {
    async getSecretValue(secretName) {
      const body = await call<{ SecretData?: string; SecretDataType?: string; VersionId?: string }>('GetSecretValue', {
        SecretName: secretName,
      });
      if (typeof body.SecretData !== 'string') throw new Error(`KMS returned no SecretData for a secret`);
      // A binary secret comes back base64-encoded; ours are text (JSON or base64 keys), taken as they are.
      return { secretData: body.SecretData, versionId: body.VersionId };
    },
  };
}
