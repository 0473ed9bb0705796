/** docs/openapi.yaml stays true: same endpoints as the route table, and real answers match its schemas. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { certApiRoutes } from '../../../functions/cert-api/routes.js';
import { createCertificateService } from '../../../shared/certificates/service.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import type { TokenPrincipal } from '../../../shared/auth/principal.js';
import { createTokenAuthenticator } from '../../../shared/auth/tokens.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { createFakeCa, ManualClock, MemoryObjectStore } from './fakes.js';

const doc = parse(readFileSync(new URL('../../../docs/openapi.yaml', import.meta.url), 'utf8'));

function validator(schemaName: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components }, 'openapi');
  return ajv.compile({ $ref: `openapi#/components/schemas/${schemaName}` });
}

it('documents exactly the routes the function serves', () => {
  // prepare
  setLogSink(() => undefined);
  const routes = certApiRoutes({
    service: {} as never,
    authenticator: createTokenAuthenticator([]) as never,
    possession: {} as never,
    console: {} as never,
    log: createLogger(),
    clock: new ManualClock(),
  });
  // act
  const served = routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort();
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((k) => k !== 'parameters')
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
  // assess
  expect(doc.openapi).toMatch(/^3\./);
  expect(documented).toEqual(served);
});

it('describes the real issue answer and certificate view', async () => {
  // prepare
  setLogSink(() => undefined);
  const clock = new ManualClock();
  const service = createCertificateService({
    ca: await createFakeCa(),
    store: new MemoryObjectStore(),
    clock,
    sleep: clock.sleep,
    log: createLogger(),
    config: {
      parentIdentifier: 'sub',
      stateKey: Buffer.alloc(32, 3),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 3600,
      defaultValidityDays: 30,
      maxValidityDays: 397,
    },
  });
  const principal: TokenPrincipal = {
    kind: 'token',
    tenant: 'acme',
    name: 'ci',
    policy: {
      commonNamePatterns: ['*'],
      sanPatterns: { dns: ['*'], uri: [], email: [], ip: [] },
      keyAlgorithms: ['EC_P256'],
      maxValidityDays: 90,
      operations: ['issue', 'read'],
      allowWildcardNames: false,
    },
  };
  // act
  const issued = await service.issue(
    principal,
    IssueRequestSchema.parse({
      commonName: 'doc.example.com',
      keyAlgorithm: 'EC_P256',
      sans: { dns: ['doc.example.com'] },
      labels: { team: 'a' },
    }),
  );
  const view = await service.get(principal, issued.id);
  const issueResult = validator('IssueResult');
  const certificate = validator('Certificate');
  // assess
  expect(issueResult(JSON.parse(JSON.stringify(issued)))).toBe(true);
  expect(certificate(JSON.parse(JSON.stringify(view)))).toBe(true);
  expect(certificate({ ...view, status: 'LOST' })).toBe(false);
  expect(issueResult({ ...view })).toBe(false);
});

it('lists, for every operation, the error statuses the shared routing can answer it with', () => {
  // prepare: what the router and middlewares answer any route with (shared/http), by the route's shape
  setLogSink(() => undefined);
  const routes = certApiRoutes({
    service: {} as never,
    authenticator: createTokenAuthenticator([]) as never,
    possession: {} as never,
    console: {} as never,
    log: createLogger(),
    clock: new ManualClock(),
  });
  // act
  const missing = routes.flatMap((r) => {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const documented = Object.keys(doc.paths[path][r.method.toLowerCase()].responses ?? {});
    const expected = [
      '400', // a query parameter or body the route does not take (VALIDATION_FAILED), a bad id (INVALID_ID)
      ...(r.public ? [] : ['401', '403', '429']), // token, operation policy, rate limit
      ...(r.path.includes(':') ? ['404'] : []),
      ...(r.method === 'POST' ? ['413', '415'] : []), // body over 256 KB, not application/json
    ];
    return expected.filter((status) => !documented.includes(status)).map((status) => `${r.method} ${path} ${status}`);
  });
  // assess
  expect(missing).toEqual([]);
});

it('states the defaults the service applies (EC_P256 under the EC sub-CA of npm start)', () => {
  const keyAlgorithm = doc.components.schemas.IssueRequest.properties.keyAlgorithm;
  expect(keyAlgorithm.default).toBeUndefined();
  expect(keyAlgorithm.description).toMatch(/EC_P256.*EC sub-CA/);
});

it('is plain YAML: no flow-mapping comma has split a description into a stray key', () => {
  // `{ description: a, b }` in a YAML flow mapping parses as description "a" plus a key "b" with no value.
  const stray: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (node && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        if (value === null) stray.push(`${path}.${key}`);
        walk(value, `${path}.${key}`);
      }
  };
  walk(doc, '#');
  expect(stray).toEqual([]);
});
