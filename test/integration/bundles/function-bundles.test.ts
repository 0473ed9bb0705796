// Why: the local runner and every other test run the TypeScript sources; FC runs dist/<function>/. This builds the
// bundles exactly as `npm run build` does (once per Jest run, into the run's directory: test/support/shared-build.ts),
// runs each one as FC would (its own node process, the
// env the local runner gives it, `handler(Buffer, context)`), and drives it against the emulator: cert-api's health
// check and an issuance whose .p12 openssl opens, renew-worker renewing that certificate from a batch event,
// renew-scheduler sweeping on its timer and dispatching a renew.requested event through FC to renew-worker, and
// reconcile-listeners planning from a timer event. It also holds each bundle to what its entry may contain.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltFunction } from '../../../scripts/build.mjs';
import { sharedFunctionBuild } from '../../support/shared-build.js';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { loadSYaml } from '../../../local/s-yaml.js';
import { factsOf, LOCAL_ACCOUNT_ID } from '../../../local/stack.js';
import { generateDevSecrets } from '../../../local/runner/dev-secrets.js';
import { functionSpec } from '../../../local/runner/function-host.js';
import { seedKmsSecrets } from '../../../local/runner/kms-seed.js';
import { buildFunctionEnv, emulatorEnv, localDevEnv, localSecretValues } from '../../../local/runner/local-env.js';
import { timerEvent } from '../../../local/runner/timers.js';
import { startBundleInstance, type BundleInstance } from '../../helpers/fc-bundle-instance.js';
import { eventually } from '../../helpers/eventually.js';
import { makeTempDir, openssl } from '../../helpers/tools.js';

const root = process.cwd();
const FUNCTIONS = ['cert-api', 'renew-scheduler', 'renew-worker', 'reconcile-listeners'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

let outdir: string;
let built: Map<string, BuiltFunction>;
let emulator: Emulator;
let devToken: string;
const instances = new Map<FunctionName, BundleInstance>();
const instance = (name: FunctionName) => instances.get(name)!;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'nma-bundles-'));
  const [results, emu] = await Promise.all([sharedFunctionBuild(), startEmulator({ jobDelayMs: 20 })]);
  built = new Map(results.map((r) => [r.name, r]));
  emulator = emu;

  // The env the local runner gives each function (local/stack.ts): s.yaml's, FC's own, the emulator's endpoints,
  // secrets by name from the emulator's KMS.
  const secrets = generateDevSecrets();
  devToken = secrets.devToken;
  const facts = factsOf(emulator);
  await seedKmsSecrets(emulator.rpcUrl, emulator.region, emulator.credentials, localSecretValues(secrets));
  const desiredFile = join(outdir, 'listeners.yaml');
  const seeded = emulator.listeners[0];
  writeFileSync(
    desiredFile,
    [
      'version: 1',
      'listeners:',
      `  - region: ${emulator.region}`,
      `    listenerId: ${seeded.listenerId}`,
      '    mutualAuth: on',
      '    ca: default',
      `    serverCertificate: { certId: ${emulator.serverCertificate.certId} }`,
      '    securityPolicy: tls_cipher_policy_1_2',
      `    probe: { host: ${seeded.host}, port: ${seeded.port}, address: 127.0.0.1 }`,
      '',
    ].join('\n'),
  );
  const doc = loadSYaml(join(root, 's.yaml'), {});
  await Promise.all(
    Object.entries(doc.resources).map(async ([resourceName, resource]) => {
      const name = resourceName as FunctionName;
      const spec = functionSpec(resourceName, resource.props, root);
      const env = buildFunctionEnv({
        spec,
        accountId: LOCAL_ACCOUNT_ID,
        emulator: { ...emulatorEnv(facts), ...emulator.env() },
        local: localDevEnv(secrets, facts),
        overrides: name === 'reconcile-listeners' ? { DESIRED_STATE_FILE: desiredFile } : {},
      });
      instances.set(
        name,
        await startBundleInstance({
          entry: built.get(name)!.entry,
          env,
          functionName: spec.functionName,
          region: emulator.region,
          accountId: LOCAL_ACCOUNT_ID,
          credentials: { ...emulator.credentials, securityToken: emulator.credentials.securityToken ?? '' },
        }),
      );
    }),
  );
  // FC async invocations of renew-worker (from renew-scheduler) reach the worker's bundle.
  emulator.fc.register('nlb-mtls-renew-worker', (payload: Buffer) => instance('renew-worker').invoke(payload));
}, 60_000);

afterAll(async () => {
  await Promise.all([...instances.values()].map((i) => i.close()));
  await emulator?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** Every input of a function's output files, by output: the entry (`index.mjs`) or a lazily loaded chunk. */
function inputsOf(name: FunctionName): { entry: string[]; all: string[] } {
  const outputs = Object.entries(built.get(name)!.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  const inputs = (files: typeof outputs) => files.flatMap(([, output]) => Object.keys(output.inputs));
  return { entry: inputs(outputs.filter(([file]) => file.endsWith('/index.mjs'))), all: inputs(outputs) };
}

describe('what each bundle contains', () => {
  const LAZY = [
    'node_modules/ali-oss/',
    'node_modules/@alicloud/openapi-client/',
    'node_modules/@peculiar/x509/',
    'node_modules/reflect-metadata/',
    'node_modules/fflate/',
    'shared/pki/pkcs12.ts',
  ];
  const CUT = [
    'node_modules/moment/',
    'node_modules/ws/',
    'node_modules/iconv-lite/',
    'node_modules/xmlbuilder/',
    'node_modules/@alicloud/credentials/',
    'node_modules/zod/v4/locales/ru.js',
  ];

  it.each(FUNCTIONS)('%s: heavy dependencies only in chunks loaded on first use, cut ones nowhere', (name) => {
    const { entry, all } = inputsOf(name);
    expect(entry.filter((file) => LAZY.some((lazy) => file.includes(lazy)))).toEqual([]);
    expect(all.filter((file) => CUT.some((cut) => file.includes(cut)))).toEqual([]);
    expect(instance(name).exports).toContain('handler');
  });

  it('cert-api has no NLB client; renew-scheduler no PKI, no CAS issuing, and CAS reads only on first use', () => {
    expect(inputsOf('cert-api').all.filter((f) => f.includes('shared/alibaba/nlb.ts'))).toEqual([]);
    const scheduler = inputsOf('renew-scheduler');
    // The CA inventory scan (issue 10) lists, describes and revokes: those reads load with it, in a chunk.
    expect(scheduler.entry.filter((f) => f.includes('shared/pki/') || f.includes('shared/alibaba/cas-'))).toEqual([]);
    expect(scheduler.all.filter((f) => f.includes('shared/alibaba/cas-pca.ts'))).toEqual([]);
  });
});

describe('the bundles, driven with real events', () => {
  let certificateId: string;
  const auth = () => ({ authorization: `Bearer ${devToken}`, 'content-type': 'application/json' });
  const generationOf = async (id: string) => {
    const answer = await instance('cert-api').http({ method: 'GET', path: `/v1/certificates/${id}`, headers: auth() });
    expect(answer.statusCode).toBe(200);
    return (JSON.parse(answer.body) as { generation: number }).generation;
  };

  it('cert-api answers its health check', async () => {
    const answer = await instance('cert-api').http({ method: 'GET', path: '/healthz' });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });

  it('cert-api issues a certificate whose .p12 openssl opens', async () => {
    const answer = await instance('cert-api').http({
      method: 'POST',
      path: '/v1/certificates',
      headers: auth(),
      body: JSON.stringify({ commonName: 'bundle-test.example.com' }),
    });
    expect(answer.statusCode).toBe(201);
    const issued = JSON.parse(answer.body) as {
      id: string;
      p12Password: string;
      downloads: { p12: { url: string } };
    };
    certificateId = issued.id;
    const p12 = Buffer.from(await (await fetch(issued.downloads.p12.url)).arrayBuffer());
    const tmp = makeTempDir();
    try {
      const opened = await openssl([
        'pkcs12',
        '-in',
        tmp.write('client.p12', p12),
        '-nokeys',
        '-clcerts',
        '-passin',
        `pass:${issued.p12Password}`,
      ]);
      expect(opened.code).toBe(0);
      expect(opened.stdout).toMatch(/subject=.*CN\s*=\s*bundle-test\.example\.com/);
    } finally {
      tmp.cleanup();
    }
  });

  it('renew-worker renews that certificate from a batch event', async () => {
    const result = (await instance('renew-worker').invoke({
      sweepId: 'bundle-test-sweep',
      trigger: 'event',
      batch: 0,
      batches: 1,
      items: [{ certificateId, request: { eventId: 'bundle-test-event-1', force: true } }],
    })) as { reviewed: number; renewed: number; failed: number };
    expect(result).toMatchObject({ reviewed: 1, renewed: 1, failed: 0 });
    expect(await generationOf(certificateId)).toBe(2);
  });

  it('renew-scheduler sweeps on its timer, and sends a renew.requested certificate to renew-worker through FC', async () => {
    const sweep = (await instance('renew-scheduler').invoke(timerEvent('renew-sweep', 'sweep', new Date()))) as {
      trigger: string;
      due: number;
      undispatched: number;
    };
    expect(sweep).toMatchObject({ trigger: 'schedule', due: 0, undispatched: 0 });

    const requested = (await instance('renew-scheduler').invoke({
      specversion: '1.0',
      id: 'bundle-test-event-2',
      source: 'bundle-test',
      type: 'renew.requested',
      datacontenttype: 'application/json',
      data: { certificateId, force: true },
    })) as { dispatched: number };
    expect(requested.dispatched).toBe(1);
    await eventually(async () => (await generationOf(certificateId)) === 3, 'renew-worker renewed it again', {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  });

  it('reconcile-listeners plans from its timer event without changing anything', async () => {
    const before = emulator.nlb.listeners().find((l) => l.ListenerId === emulator.listeners[0].listenerId);
    const report = (await instance('reconcile-listeners').invoke(
      timerEvent('reconcile-schedule', '{"mode":"plan"}', new Date()),
    )) as { mode: string; results: Array<{ outcome: string; plan: Array<{ field: string; to: unknown }> }> };
    expect(report.mode).toBe('plan');
    expect(report.results).toHaveLength(1);
    expect(report.results[0].outcome).toBe('changes-planned');
    expect(report.results[0].plan).toContainEqual(expect.objectContaining({ field: 'caEnabled', to: true }));
    const after = emulator.nlb.listeners().find((l) => l.ListenerId === emulator.listeners[0].listenerId);
    expect(after).toEqual(before);
  });
});
