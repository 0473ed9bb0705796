// The console's routes through cert-api's own handler (in-memory bucket, fake CA): the page and its headers, and
// the reads it adds (summary, listeners, details) behind the same token, operation and name gates as the API.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { refreshFleetSummaries } from '../../../shared/fleet/refresh.js';
import { loadConsoleAssets } from '../../../functions/cert-api/console-assets.js';
import { makeHandler, type CertApiDeps } from '../../../functions/cert-api/index.js';
import { ApiTokensSchema, createTokenAuthenticator } from '../../../shared/auth/tokens.js';
import { createCertificateDetailsReads } from '../../../shared/certificates/details.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import { createCertificateService } from '../../../shared/certificates/service.js';
import type { TokenPrincipal } from '../../../shared/auth/principal.js';
import { createFleetReads } from '../../../shared/fleet/summary-reads.js';
import { createListenerStatusStore } from '../../../shared/listeners/status-store.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { createFakeCa, ManualClock, MemoryObjectStore } from './fakes.js';

const lines: string[] = [];
setLogSink((line) => lines.push(line));

const POLICY = {
  commonNamePatterns: ['*.example.com'],
  keyAlgorithms: ['EC_P256'],
  maxValidityDays: 90,
  operations: ['issue', 'read', 'renew', 'revoke'],
};
const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  lab: 'lab-token-0123456789abcdef',
  ops: 'ops-token-0123456789',
};
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

async function setup() {
  const store = new MemoryObjectStore();
  const clock = new ManualClock();
  const log = createLogger({ fn: 'test' });
  const service = createCertificateService({
    ca: await createFakeCa(),
    store,
    clock,
    sleep: clock.sleep,
    log,
    config: {
      parentIdentifier: 'sub',
      stateKey: Buffer.alloc(32, 5),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 3600,
      defaultValidityDays: 30,
      maxValidityDays: 397,
    },
  });
  const tokens = ApiTokensSchema.parse([
    { tokenSha256: sha(TOKENS.admin), tenant: 'acme', name: 'admin', policy: POLICY },
    {
      tokenSha256: sha(TOKENS.lab),
      tenant: 'acme',
      name: 'lab',
      policy: { ...POLICY, commonNamePatterns: ['*.lab.example.com'] },
    },
    { tokenSha256: sha(TOKENS.ops), tenant: 'acme', name: 'ops', policy: { ...POLICY, operations: ['listeners'] } },
  ]);
  const listeners = createListenerStatusStore(store, clock);
  const deps: CertApiDeps = {
    service,
    authenticator: createTokenAuthenticator(tokens, clock),
    possession: {} as never,
    log,
    clock,
    console: {
      assets: loadConsoleAssets(new URL('../../../functions/cert-api/index.ts', import.meta.url).href),
      fleet: createFleetReads({ store, log }),
      listeners,
      details: createCertificateDetailsReads({ store, log }),
    },
  };
  const handler = makeHandler(deps);
  const call = async (path: string, token?: string) => {
    const answer = await handler({
      version: 'v1',
      rawPath: path,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      queryParameters: {},
      body: '',
      isBase64Encoded: false,
      requestContext: { requestId: 'req-console', http: { method: 'GET', path, sourceIp: '127.0.0.1' } },
    });
    return {
      ...answer,
      json: answer.headers['content-type']?.startsWith('application/json') ? JSON.parse(answer.body) : undefined,
    };
  };
  const admin = tokens[0];
  const principal: TokenPrincipal = { kind: 'token', tenant: 'acme', name: 'admin', policy: admin.policy };
  const issue = (commonName: string) =>
    service.issue(principal, IssueRequestSchema.parse({ commonName, keyAlgorithm: 'EC_P256' }));
  return { store, service, listeners, call, issue, principal };
}

describe('the page', () => {
  it('is served with a strict Content-Security-Policy and the headers that keep it private', async () => {
    // prepare
    const { call } = await setup();
    // act
    const page = await call('/console');
    // assess
    const csp = page.headers['content-security-policy'];
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "form-action 'none'",
      "base-uri 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('has no inline script, style or event handler, and its script never writes HTML', () => {
    // The CSP would block them anyway; this keeps the files from depending on them.
    const html = readFileSync(new URL('../../../functions/cert-api/console/index.html', import.meta.url), 'utf8');
    const script = readFileSync(new URL('../../../functions/cert-api/console/console.js', import.meta.url), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(script).not.toMatch(/localStorage|document\.cookie/);
  });

  it('serves its files, sends /console/ to /console, and knows no other file', async () => {
    // prepare
    const { call } = await setup();
    // act
    const [script, slash, index, unknown] = await Promise.all([
      call('/console/console.js'),
      call('/console/'),
      call('/console/index.html'),
      call('/console/secrets.json'),
    ]);
    // assess
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(slash).toMatchObject({ statusCode: 308, headers: expect.objectContaining({ location: '../console' }) });
    expect(index.statusCode).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});

describe('the reads it adds', () => {
  it('need a token like every other API call', async () => {
    const { call } = await setup();
    for (const path of ['/v1/summary', '/v1/listeners', '/v1/certificates/cc-00000000000000000000/details']) {
      expect((await call(path)).json).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it("the listeners report needs the 'listeners' operation, which no other operation implies", async () => {
    // prepare
    const { call, listeners } = await setup();
    await listeners.record(
      {
        runId: 'run-1',
        mode: 'apply',
        results: [
          { listenerId: 'lsn-a', region: 'cn-hangzhou', outcome: 'in-sync', drift: false, plan: [], durationMs: 1 },
        ],
        summary: {} as never,
      },
      { complete: true },
    );
    // act
    const refused = await call('/v1/listeners', TOKENS.admin);
    const allowed = await call('/v1/listeners', TOKENS.ops);
    // assess
    expect(refused.statusCode).toBe(403);
    expect(refused.json).toMatchObject({ code: 'FORBIDDEN_BY_POLICY', details: { rule: 'operations' } });
    expect(allowed.json).toMatchObject({ available: true, listeners: [{ listenerId: 'lsn-a', outcome: 'in-sync' }] });
  });

  it("details show the chain from the certificate's bundle and its history, behind the names policy", async () => {
    // prepare
    const { call, issue, service, principal } = await setup();
    const issued = await issue('device-1.example.com');
    await service.renew(principal, issued.id, { trigger: 'api' });
    // act
    const details = await call(`/v1/certificates/${issued.id}/details`, TOKENS.admin);
    const hidden = await call(`/v1/certificates/${issued.id}/details`, TOKENS.lab);
    await service.revoke(principal, issued.id);
    const revoked = await call(`/v1/certificates/${issued.id}/details`, TOKENS.admin);
    // assess
    const now = await service.get(principal, issued.id);
    expect(details.json.chain.map((c: { role: string }) => c.role)).toEqual(['leaf', 'intermediate', 'root']);
    expect(details.json.chain[0]).toMatchObject({
      serialNumber: now.serialNumber,
      fingerprintSha256: now.fingerprintSha256,
      subject: 'CN=device-1.example.com',
    });
    expect(details.json.chain[0].pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(
      details.json.history.map((g: { generation: number; current: boolean }) => [g.generation, g.current]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(JSON.stringify(details.json)).not.toMatch(/PRIVATE KEY/);
    expect(hidden.statusCode).toBe(404);
    expect(revoked.json).toMatchObject({ chain: [], chainUnavailable: 'bundle-deleted' });
    expect(revoked.json.history[0].revokedAt).toEqual(expect.any(String));
  });
});

it('answers as docs/openapi.yaml describes', async () => {
  // prepare
  const doc = parse(readFileSync(new URL('../../../docs/openapi.yaml', import.meta.url), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components }, 'openapi');
  const schema = (name: string) => ajv.compile({ $ref: `openapi#/components/schemas/${name}` });
  const { call, issue, store, listeners } = await setup();
  const issued = await issue('device-9.example.com');
  await refreshFleetSummaries({ store, clock: new ManualClock(), log: createLogger() });
  await listeners.record(
    {
      runId: 'run-1',
      mode: 'apply',
      results: [
        {
          listenerId: 'lsn-a',
          region: 'cn-hangzhou',
          outcome: 'blocked',
          rule: 'listener-exists',
          violations: [{ rule: 'listener-exists', message: 'not found' }],
          drift: false,
          plan: [],
          durationMs: 1,
        },
      ],
      summary: {} as never,
    },
    { complete: true },
  );
  // act
  const [summary, listenerReport, details] = await Promise.all([
    call('/v1/summary', TOKENS.admin),
    call('/v1/listeners', TOKENS.ops),
    call(`/v1/certificates/${issued.id}/details`, TOKENS.admin),
  ]);
  // assess
  const checks = [
    [schema('FleetSummaryAnswer'), summary.json],
    [schema('ListenersAnswer'), listenerReport.json],
    [schema('CertificateDetails'), details.json],
  ] as const;
  for (const [validate, body] of checks)
    expect({ valid: validate(body), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  expect(summary.json).toMatchObject({ available: true, scope: 'policy', summary: { certificates: { total: 1 } } });
});
