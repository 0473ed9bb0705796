/**
 * The env a function gets locally, layered like FC does it in the cloud:
 * s.yaml `environmentVariables` < what FC itself sets (FC_*, the role's ALIBABA_CLOUD_* keys) < the emulator's
 * endpoints < locally generated secrets and dev settings < the user's `.local/functions.env` < explicit overrides
 * (tests).
 */
import { ApiTokensSchema } from '../../shared/auth/tokens.js';
import { KEY_ALGORITHM_VALUES, OPERATIONS } from '../../shared/auth/policy.js';
import type { DevSecrets } from './dev-secrets.js';
import { sha256Hex } from './dev-secrets.js';
import type { FunctionSpec } from './function-host.js';
import { LOCAL_SECRET_NAMES } from './kms-seed.js';

/** `loadSYaml` leaves `<NAME>` where `${env('NAME')}` had no value; locally such a value is simply not set. */
const UNRESOLVED = /<[A-Z][A-Z0-9_]*>/;

export function unresolvedVariables(vars: Record<string, string> | undefined): string[] {
  return Object.entries(vars ?? {})
    .filter(([, v]) => UNRESOLVED.test(String(v)))
    .map(([k]) => k);
}

export interface EmulatorFacts {
  region: string;
  rpcUrl: string;
  ossEndpoint: string;
  fcEndpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  subCaIdentifier: string;
  rootIdentifier: string;
}

/** The variables shared/config/alibaba.ts reads, pointing at the emulator. */
export function emulatorEnv(e: EmulatorFacts): Record<string, string> {
  const env: Record<string, string> = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: e.credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: e.credentials.accessKeySecret,
    REGION: e.region,
    CAS_ENDPOINT: e.rpcUrl,
    NLB_ENDPOINT: e.rpcUrl,
    OSS_ENDPOINT: e.ossEndpoint,
    OSS_BUCKET: e.bucket,
    FC_ENDPOINT: e.fcEndpoint,
  };
  if (e.credentials.securityToken) env.ALIBABA_CLOUD_SECURITY_TOKEN = e.credentials.securityToken;
  return env;
}

export const DEV_TENANT = 'dev';

/**
 * API_TOKENS for the local dev token: tenant `dev`, any common name and SAN, every key algorithm and operation
 * cert-api knows (taken from its own schema, so the two cannot drift), and renewal by possession for the tenant's
 * certificates. Only the token's SHA-256 is in the env.
 */
export function devApiTokens(devToken: string): string {
  const tokens = ApiTokensSchema.parse([
    {
      tokenSha256: sha256Hex(devToken),
      tenant: DEV_TENANT,
      name: 'local-dev',
      policy: {
        commonNamePatterns: ['*'],
        sanPatterns: { dns: ['*'], uri: ['*'], email: ['*'], ip: ['*'] },
        keyAlgorithms: [...KEY_ALGORITHM_VALUES],
        maxValidityDays: 3650,
        operations: [...OPERATIONS],
        // Local devices renew with their certificate alone (docs/cli.md).
        renewByPossession: true,
      },
    },
  ]);
  return JSON.stringify(tokens);
}

/** The values the local stack puts into the emulator's KMS (local/runner/kms-seed.ts). */
export function localSecretValues(secrets: DevSecrets): Record<keyof typeof LOCAL_SECRET_NAMES, string> {
  return {
    API_TOKENS: devApiTokens(secrets.devToken),
    STATE_KEY: secrets.stateKey,
    WEBHOOK_MASTER_KEY: secrets.webhookMasterKey,
  };
}

/**
 * Settings that only make sense locally. Secrets are given by NAME, as s.yaml gives them in the cloud: the
 * functions read them from the emulator's KMS Secrets Manager, where the stack put them at start.
 */
export function localDevEnv(_secrets: DevSecrets, facts: EmulatorFacts): Record<string, string> {
  return {
    KMS_ENDPOINT: facts.rpcUrl,
    API_TOKENS_SECRET_NAME: LOCAL_SECRET_NAMES.API_TOKENS,
    STATE_KEY_SECRET_NAME: LOCAL_SECRET_NAMES.STATE_KEY,
    WEBHOOK_MASTER_KEY_SECRET_NAME: LOCAL_SECRET_NAMES.WEBHOOK_MASTER_KEY,
    PCA_PARENT_IDENTIFIER: facts.subCaIdentifier,
    // Listeners trust the PCA root; clients send their sub-CA (docs/reconcile.md).
    RECONCILE_DEFAULT_CA: facts.rootIdentifier,
    // Webhook receivers in local tests listen on 127.0.0.1 over plain http.
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
  };
}

export function buildFunctionEnv(input: {
  spec: FunctionSpec;
  accountId: string;
  emulator: Record<string, string>;
  local: Record<string, string>;
  /** `.local/functions.env` (./function-env-file.ts). */
  file?: Record<string, string>;
  overrides?: Record<string, string>;
}): Record<string, string> {
  const declared = Object.fromEntries(
    Object.entries(input.spec.props.environmentVariables ?? {})
      .map(([k, v]) => [k, String(v)] as const)
      .filter(([, v]) => !UNRESOLVED.test(v)),
  );
  const { props } = input.spec;
  const fcRuntime: Record<string, string> = {
    FC_FUNCTION_NAME: props.functionName,
    FC_FUNCTION_HANDLER: props.handler,
    FC_FUNCTION_MEMORY_SIZE: String(props.memorySize ?? 128),
    FC_REGION: props.region,
    FC_ACCOUNT_ID: input.accountId,
  };
  const env: Record<string, string> = {
    ...declared,
    ...fcRuntime,
    ...input.emulator,
    ...input.local,
    ...(input.file ?? {}),
    ...(input.overrides ?? {}),
  };
  // A secret given by value in functions.env (API_TOKENS=...) wins over the same secret given by name (read from the
  // emulated KMS), unless the file names it too.
  for (const name of Object.keys(input.file ?? {})) {
    const byName = `${name}_SECRET_NAME`;
    if (env[byName] !== undefined && input.file?.[byName] === undefined) delete env[byName];
  }
  return env;
}
