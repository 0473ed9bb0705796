/**
 * The emulated KMS Secrets Manager (KMS 2016-01-20): generic secrets with versions and the ACSCurrent /
 * ACSPrevious stages. Names, parameters and answers from the published models: aliyun/alibabacloud-typescript-sdk
 * `kms-20160120/src/models/{CreateSecretRequest,PutSecretValueRequest,GetSecretValueRequest,
 * GetSecretValueResponseBody}.ts`. Only what this project and its local tooling call: CreateSecret (SecretName,
 * SecretData, VersionId, SecretDataType), PutSecretValue (the same; the new version becomes ACSCurrent, the old
 * ACSPrevious), GetSecretValue (SecretName, VersionStage default ACSCurrent, VersionId).
 * ASSUMED (no error table in the models): the codes for an unknown secret (`Forbidden.ResourceNotFound`), an
 * existing name (`Rejected.ResourceExist`) and a repeated version (`Rejected.ResourceExist`); nothing in the
 * functions builds on these codes, they only fail.
 */
import { ApiError, missingParameter } from '../rpc/api-error.js';
import type { RpcProduct } from '../rpc/server.js';
import type { JsonlCollection } from '../persistence.js';

export interface SecretVersion {
  versionId: string;
  secretData: string;
  secretDataType: 'text' | 'binary';
  createTime: string;
  stages: string[];
}

export interface StoredSecret {
  secretName: string;
  createTime: string;
  versions: SecretVersion[];
}

const NAME = /^[A-Za-z0-9_/+=.@-]{1,192}$/;

function notFound(): ApiError {
  return new ApiError(404, 'Forbidden.ResourceNotFound', 'The resource cannot be found.');
}

export function kmsProduct(secrets: JsonlCollection<StoredSecret>): RpcProduct {
  const dataType = (value: string | undefined): 'text' | 'binary' => (value === 'binary' ? 'binary' : 'text');
  return {
    product: 'kms',
    version: '2016-01-20',
    hostId: 'kms.aliyuncs.com',
    actions: {
      CreateSecret: (p) => {
        const secretName = p.requiredString('SecretName');
        if (!NAME.test(secretName)) throw new ApiError(400, 'InvalidParameter', 'The SecretName is invalid.');
        if (secrets.has(secretName)) throw new ApiError(409, 'Rejected.ResourceExist', 'The secret already exists.');
        const now = new Date().toISOString();
        const versionId = p.requiredString('VersionId');
        secrets.put(secretName, {
          secretName,
          createTime: now,
          versions: [
            {
              versionId,
              secretData: p.requiredString('SecretData'),
              secretDataType: dataType(p.string('SecretDataType')),
              createTime: now,
              stages: ['ACSCurrent'],
            },
          ],
        });
        return { Arn: `acs:kms:local:000000:secret/${secretName}`, SecretName: secretName, VersionId: versionId };
      },
      PutSecretValue: (p) => {
        const secret = secrets.get(p.requiredString('SecretName'));
        if (!secret) throw notFound();
        const versionId = p.requiredString('VersionId');
        if (secret.versions.some((v) => v.versionId === versionId))
          throw new ApiError(409, 'Rejected.ResourceExist', 'The version already exists.');
        const versions = secret.versions.map((v) => ({
          ...v,
          stages: v.stages.includes('ACSCurrent') ? ['ACSPrevious'] : v.stages.filter((s) => s !== 'ACSPrevious'),
        }));
        versions.push({
          versionId,
          secretData: p.requiredString('SecretData'),
          secretDataType: dataType(p.string('SecretDataType')),
          createTime: new Date().toISOString(),
          stages: ['ACSCurrent'],
        });
        secrets.put(secret.secretName, { ...secret, versions });
        return { SecretName: secret.secretName, VersionId: versionId, VersionStages: { VersionStage: ['ACSCurrent'] } };
      },
      GetSecretValue: (p) => {
        const secretName = p.string('SecretName');
        if (!secretName) throw missingParameter('SecretName');
        const secret = secrets.get(secretName);
        if (!secret) throw notFound();
        const versionId = p.string('VersionId');
        const stage = p.string('VersionStage') ?? 'ACSCurrent';
        const version = versionId
          ? secret.versions.find((v) => v.versionId === versionId)
          : secret.versions.find((v) => v.stages.includes(stage));
        if (!version) throw notFound();
        return {
          SecretName: secret.secretName,
          SecretType: 'Generic',
          SecretData: version.secretData,
          SecretDataType: version.secretDataType,
          VersionId: version.versionId,
          VersionStages: { VersionStage: version.stages },
          CreateTime: version.createTime,
        };
      },
    },
  };
}
