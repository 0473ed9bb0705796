/**
 * Where the Alibaba APIs are and which credentials to use, read once at cold start.
 * In FC the role's STS credentials arrive as ALIBABA_CLOUD_* variables; locally the runner points every
 * endpoint at the emulator (`http://127.0.0.1:PORT`).
 */
import { z } from 'zod';
import type { AlibabaCredentials, RpcEndpoint } from '../alibaba/rpc.js';
import { parseEnv, requiredString } from './env.js';

const EnvSchema = z.object({
  ALIBABA_CLOUD_ACCESS_KEY_ID: requiredString(
    'ALIBABA_CLOUD_ACCESS_KEY_ID is required (FC sets it for a function with a role)',
  ),
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: requiredString('ALIBABA_CLOUD_ACCESS_KEY_SECRET is required'),
  ALIBABA_CLOUD_SECURITY_TOKEN: z.string().optional(),
  REGION: z.string().optional(),
  FC_REGION: z.string().optional(),
  /** `cas.aliyuncs.com` by default; a URL such as `http://127.0.0.1:8701` for the emulator. */
  CAS_ENDPOINT: z.string().optional(),
  /** `nlb.<region>.aliyuncs.com` by default. */
  NLB_ENDPOINT: z.string().optional(),
  /** `https://oss-<region>.aliyuncs.com` by default; `http://localhost:PORT` for the emulator. */
  OSS_ENDPOINT: z.string().optional(),
  OSS_BUCKET: requiredString('OSS_BUCKET names the private bucket for records and bundles', 3),
  /** `<accountId>.<region>.fc.aliyuncs.com` by default. */
  FC_ENDPOINT: z.string().optional(),
  FC_ACCOUNT_ID: z.string().optional(),
});

export interface AlibabaConfig {
  region: string;
  credentials: AlibabaCredentials;
  cas: RpcEndpoint;
  nlb: RpcEndpoint;
  oss: { endpoint: string; bucket: string; local: boolean };
  fc: RpcEndpoint & { accountId: string };
}

/** `http://127.0.0.1:8701` -> `{endpoint: '127.0.0.1:8701', protocol: 'http'}`; a bare host stays https. */
export function parseEndpoint(value: string, regionId: string): RpcEndpoint {
  const m = value.match(/^(https?):\/\/([^/]+)\/?$/);
  return m
    ? { endpoint: m[2], protocol: m[1] as 'http' | 'https', regionId }
    : { endpoint: value, protocol: 'https', regionId };
}

export function loadAlibabaConfig(env: NodeJS.ProcessEnv = process.env): AlibabaConfig {
  const e = parseEnv(EnvSchema, env, 'Alibaba');
  const region = e.REGION ?? e.FC_REGION ?? 'cn-hangzhou';
  const ossEndpoint = e.OSS_ENDPOINT ?? `https://oss-${region}.aliyuncs.com`;
  const accountId = e.FC_ACCOUNT_ID ?? 'local';
  return {
    region,
    credentials: {
      accessKeyId: e.ALIBABA_CLOUD_ACCESS_KEY_ID,
      accessKeySecret: e.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
      securityToken: e.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
    },
    cas: parseEndpoint(e.CAS_ENDPOINT ?? 'cas.aliyuncs.com', region),
    nlb: parseEndpoint(e.NLB_ENDPOINT ?? `nlb.${region}.aliyuncs.com`, region),
    oss: { endpoint: ossEndpoint, bucket: e.OSS_BUCKET, local: /^http:\/\/(localhost|127\.0\.0\.1)/.test(ossEndpoint) },
    fc: { ...parseEndpoint(e.FC_ENDPOINT ?? `${accountId}.${region}.fc.aliyuncs.com`, region), accountId },
  };
}
