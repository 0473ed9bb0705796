/**
 * Where the Alibaba APIs are and which credentials to use, read once at cold start.
 * In FC the role's STS credentials arrive as ALIBABA_CLOUD_* variables at instance start and again with every
 * invocation (`context.credentials`, which win: shared/alibaba/credentials.ts); locally the runner points every
 * endpoint at the emulator (`http://127.0.0.1:PORT`).
 */
import * as z from 'zod';
import { functionCredentials, type CredentialSource } from '../alibaba/credentials.js';
import type { RpcEndpoint } from '../alibaba/rpc.js';
import { intFromEnv, parseEnv, requiredString } from './env.js';

const EnvSchema = z.object({
  ALIBABA_CLOUD_ACCESS_KEY_ID: requiredString(
    'ALIBABA_CLOUD_ACCESS_KEY_ID is required (FC sets it for a function with a role)',
  ),
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: requiredString('ALIBABA_CLOUD_ACCESS_KEY_SECRET is required'),
  ALIBABA_CLOUD_SECURITY_TOKEN: z.string().optional(),
  REGION: z.string().optional(),
  FC_REGION: z.string().optional(),
  /** By region (casEndpointFor) by default; a URL such as `http://127.0.0.1:8701` for the emulator. */
  CAS_ENDPOINT: z.string().optional(),
  /** `nlb.<region>.aliyuncs.com` by default. */
  NLB_ENDPOINT: z.string().optional(),
  /** `https://oss-<region>.aliyuncs.com` by default; `http://localhost:PORT` for the emulator. */
  OSS_ENDPOINT: z.string().optional(),
  OSS_BUCKET: requiredString('OSS_BUCKET names the private bucket for records and bundles', 3),
  /** `<accountId>.<region>.fc.aliyuncs.com` by default. */
  FC_ENDPOINT: z.string().optional(),
  FC_ACCOUNT_ID: z.string().optional(),
  /**
   * The longest download link signed with STS keys: a link dies with the token that signed it. FC's role keys
   * are valid 36 hours from when FC obtains them; how much of that an invocation's keys have left is not
   * documented, so the default, one hour, is ASSUMED safe (docs/cloud-fidelity.md).
   */
  STS_LINK_MAX_SECONDS: intFromEnv(3_600, 60, 129_600),
});

/** OSS accepts presigned V4 links valid for at most 7 days. */
const OSS_MAX_LINK_SECONDS = 604_800;

export interface AlibabaConfig {
  region: string;
  /** Asked at every call: the current invocation's keys in FC, the env's otherwise. */
  credentials: CredentialSource;
  /** The longest link that may be signed with these credentials (STS_LINK_MAX_SECONDS when they are STS keys). */
  signedLinkMaxSeconds: number;
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

/**
 * CAS's endpoint for a region, as the CAS SDKs' endpoint maps have it (contracts/cas-2020-06-30/_vocabulary.json
 * `endpoints`; audit D16): the central `cas.aliyuncs.com` for the mainland and the regions mapped to it,
 * `cas.<region>.aliyuncs.com` for the others (ap-southeast-1, eu-central-1, ...). A unit test holds this to the map.
 */
const CENTRAL_CAS_REGIONS = new Set(['ap-southeast-3', 'ap-southeast-5', 'eu-west-1', 'us-east-1', 'us-west-1']);
export function casEndpointFor(region: string): string {
  return region.startsWith('cn-') || CENTRAL_CAS_REGIONS.has(region)
    ? 'cas.aliyuncs.com'
    : `cas.${region}.aliyuncs.com`;
}

export function loadAlibabaConfig(env: NodeJS.ProcessEnv = process.env): AlibabaConfig {
  const e = parseEnv(EnvSchema, env, 'Alibaba');
  const region = e.REGION ?? e.FC_REGION ?? 'cn-hangzhou';
  const ossEndpoint = e.OSS_ENDPOINT ?? `https://oss-${region}.aliyuncs.com`;
  const accountId = e.FC_ACCOUNT_ID ?? 'local';
  return {
    region,
    credentials: functionCredentials({
      accessKeyId: e.ALIBABA_CLOUD_ACCESS_KEY_ID,
      accessKeySecret: e.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
      securityToken: e.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
    }),
    signedLinkMaxSeconds: e.ALIBABA_CLOUD_SECURITY_TOKEN ? e.STS_LINK_MAX_SECONDS : OSS_MAX_LINK_SECONDS,
    cas: parseEndpoint(e.CAS_ENDPOINT || casEndpointFor(region), region),
    nlb: parseEndpoint(e.NLB_ENDPOINT ?? `nlb.${region}.aliyuncs.com`, region),
    oss: { endpoint: ossEndpoint, bucket: e.OSS_BUCKET, local: /^http:\/\/(localhost|127\.0\.0\.1)/.test(ossEndpoint) },
    fc: { ...parseEndpoint(e.FC_ENDPOINT ?? `${accountId}.${region}.fc.aliyuncs.com`, region), accountId },
  };
}
