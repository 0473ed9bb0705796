// The local-only env: the dev token is accepted by cert-api's own authenticator as tenant `dev` with every operation,
// and the generated secrets persist across restarts.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuthenticator, ApiTokensSchema } from '../../../shared/auth/tokens.js';
import { OPERATIONS } from '../../../shared/auth/policy.js';
import { devApiTokens, emulatorEnv, localDevEnv, localSecretValues } from '../../../local/runner/local-env.js';
import { generateDevSecrets, loadOrCreateDevSecrets } from '../../../local/runner/dev-secrets.js';

const facts = {
  region: 'cn-hangzhou',
  rpcUrl: 'http://127.0.0.1:8701',
  ossEndpoint: 'http://localhost:8702',
  fcEndpoint: 'http://127.0.0.1:8703',
  bucket: 'nma-local',
  credentials: { accessKeyId: 'AK', accessKeySecret: 'SK' },
  subCaIdentifier: 'sub-ca-1',
  rootIdentifier: 'root-ca-1',
};

describe('dev API token', () => {
  it('authenticates as tenant dev with every operation and holds only the hash', () => {
    // Prepare
    const secrets = generateDevSecrets();
    const json = devApiTokens(secrets.devToken);
    // Act
    const principal = createTokenAuthenticator(ApiTokensSchema.parse(JSON.parse(json))).authenticate(
      `Bearer ${secrets.devToken}`,
    );
    // Assess
    expect(principal.tenant).toBe('dev');
    expect([...principal.policy.operations].sort()).toEqual([...OPERATIONS].sort());
    expect(json).not.toContain(secrets.devToken);
  });

  it('another token is refused', () => {
    const json = devApiTokens(generateDevSecrets().devToken);
    const auth = createTokenAuthenticator(ApiTokensSchema.parse(JSON.parse(json)));
    expect(() => auth.authenticate(`Bearer ${generateDevSecrets().devToken}`)).toThrow();
  });
});

describe('local env', () => {
  it('points every Alibaba endpoint at the emulator', () => {
    expect(emulatorEnv(facts)).toEqual({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'AK',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'SK',
      REGION: 'cn-hangzhou',
      CAS_ENDPOINT: 'http://127.0.0.1:8701',
      NLB_ENDPOINT: 'http://127.0.0.1:8701',
      OSS_ENDPOINT: 'http://localhost:8702',
      OSS_BUCKET: 'nma-local',
      FC_ENDPOINT: 'http://127.0.0.1:8703',
    });
  });

  it('names the dev secrets (kept in the emulated KMS), adds the sub-CA and loopback webhooks', () => {
    const secrets = generateDevSecrets();
    const env = localDevEnv(secrets, facts);
    expect(Buffer.from(localSecretValues(secrets).STATE_KEY, 'base64')).toHaveLength(32);
    expect(JSON.stringify(env)).not.toContain(secrets.stateKey);
    expect(env).toMatchObject({
      KMS_ENDPOINT: 'http://127.0.0.1:8701',
      STATE_KEY_SECRET_NAME: 'nlb-mtls/state-key',
      PCA_PARENT_IDENTIFIER: 'sub-ca-1',
      RECONCILE_DEFAULT_CA: 'root-ca-1',
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
    });
  });
});

describe('loadOrCreateDevSecrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nma-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates owner-only secrets once and returns the same ones after a restart', () => {
    const first = loadOrCreateDevSecrets(dir);
    const second = loadOrCreateDevSecrets(dir);
    expect(second).toEqual(first);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged file instead of silently replacing the keys', () => {
    writeFileSync(
      join(dir, 'secrets.json'),
      JSON.stringify({ stateKey: 'short', devToken: 'x', webhookMasterKey: 'y' }),
    );
    expect(() => loadOrCreateDevSecrets(dir)).toThrow(/delete it/);
  });
});
