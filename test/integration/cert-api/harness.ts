/**
 * The cert-api handler wired to a real emulator (CAS PCA + OSS over loopback), called with FC HTTP-trigger
 * events exactly as the platform (or the local runner) builds them. Two tenants with their own tokens.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createHandler } from '../../../functions/cert-api/index.js';
import type { AccessPolicy } from '../../../shared/auth/policy.js';
import { hashToken } from '../../../shared/auth/tokens.js';
import { setLogSink } from '../../../shared/log/index.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../local/emulator/index.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

export const DEVICE_POLICY: AccessPolicy = {
  commonNamePatterns: ['*.devices.example.com'],
  sanPatterns: {
    dns: ['*.devices.example.com'],
    uri: ['spiffe://example.com/devices/*'],
    email: [],
    ip: ['10.0.0.0/8'],
  },
  keyAlgorithms: ['RSA_2048', 'RSA_4096', 'EC_P256'],
  maxValidityDays: 90,
  operations: ['issue', 'read', 'links', 'renew', 'revoke'],
  allowWildcardNames: false,
};

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  json: any;
}

export interface CallInput {
  method: string;
  path: string;
  body?: unknown;
  /** raw body text (sent as is) */
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** defaults to the acme token; `null` sends none */
  token?: string | null;
  /** FC's `context.function.timeout` in seconds (the request's time budget derives from it) */
  functionTimeoutSeconds?: number;
}

export interface CertApiHarness {
  emulator: Emulator;
  tokens: { acme: string; other: string };
  env: Record<string, string>;
  logs: string[];
  call(input: CallInput): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export async function startCertApiHarness(
  options: { policy?: Partial<AccessPolicy>; env?: Record<string, string>; emulator?: EmulatorOptions } = {},
): Promise<CertApiHarness> {
  const logs: string[] = [];
  const previousSink = setLogSink(alsoKeptForFailure((line) => logs.push(line)));
  const emulator = await startEmulator({ jobDelayMs: 50, caKeyAlgorithm: 'ECC_256', ...options.emulator });
  const tokens = { acme: randomBytes(24).toString('base64url'), other: randomBytes(24).toString('base64url') };
  const env: Record<string, string> = {
    ...emulator.env(),
    API_TOKENS: JSON.stringify([
      {
        tokenSha256: hashToken(tokens.acme),
        tenant: 'acme',
        name: 'acme-ci',
        policy: { ...DEVICE_POLICY, ...options.policy },
      },
      { tokenSha256: hashToken(tokens.other), tenant: 'other', name: 'other-ci', policy: DEVICE_POLICY },
    ]),
    STATE_KEY: randomBytes(32).toString('base64'),
    LINK_MAX_SECONDS: '3600',
    CAS_TIMEOUT_MS: '1500',
    OSS_TIMEOUT_MS: '1500',
    ...options.env,
  };
  const handler = createHandler(env);
  return {
    emulator,
    tokens,
    env,
    logs,
    async call(input) {
      const token = input.token === undefined ? tokens.acme : input.token;
      const text = input.rawBody ?? (input.body === undefined ? '' : JSON.stringify(input.body));
      const headers: Record<string, string> = {
        host: 'cert-api.local',
        ...(input.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...input.headers,
      };
      const requestId = randomUUID();
      const event = {
        version: 'v1',
        rawPath: input.path,
        headers,
        queryParameters: input.query ?? {},
        body: text,
        isBase64Encoded: false,
        requestContext: {
          accountId: '1234567890123456',
          domainName: 'cert-api.local',
          domainPrefix: 'cert-api',
          http: {
            method: input.method,
            path: input.path,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'jest',
          },
          requestId,
          time: new Date().toISOString(),
          timeEpoch: String(Date.now()),
        },
      };
      // FC hands the event over as a Buffer of JSON.
      const context = {
        requestId,
        ...(input.functionTimeoutSeconds ? { function: { timeout: input.functionTimeoutSeconds } } : {}),
      };
      const answer = await handler(Buffer.from(JSON.stringify(event)), context);
      return {
        status: answer.statusCode,
        headers: answer.headers,
        json: answer.body ? JSON.parse(answer.body) : undefined,
      };
    },
    async close() {
      await emulator.close();
      setLogSink(previousSink);
    },
  };
}

export interface MtlsHarness {
  api: CertApiHarness;
  /** Holds `root.crt`, the root the listener trusts, for curl's `--cacert`. */
  tmp: TempDir;
  close(): Promise<void>;
}

/** The harness with the first emulated listener asking for client certificates issued under the emulator's root. */
export async function startMtlsHarness(options: Parameters<typeof startCertApiHarness>[0] = {}): Promise<MtlsHarness> {
  const api = await startCertApiHarness(options);
  const tmp = makeTempDir();
  tmp.write('root.crt', api.emulator.ca.rootCertificatePem);
  const listener = api.emulator.listeners[0];
  api.emulator.nlb.patchListener(listener.listenerId, {
    CaEnabled: true,
    CaCertificateIds: [api.emulator.ca.rootIdentifier],
  });
  return {
    api,
    tmp,
    async close() {
      await api.close();
      tmp.cleanup();
    },
  };
}
