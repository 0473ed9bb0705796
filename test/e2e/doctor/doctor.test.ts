// Prepare: the local stack as `npm start` runs it (stack.json in its data dir) with one issued certificate.
// Act: `npm run doctor -- --record DIR` as a user runs it (tsx local/doctor.ts; `--validate` runs its command in
// this process). Assess: one line per assumption and no failure, and every recorded answer keeps its contract
// (request parameters and response model), with no secret in it.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRpcRequest } from '../../../local/emulator/contracts/check-request.js';
import { checkValue } from '../../../local/emulator/contracts/check-response.js';
import { contractFor } from '../../../local/emulator/contracts/load.js';
import { redact } from '../../../local/doctor/record.js';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';
import { runCommand } from '../../helpers/local-command.js';
import { doctor as doctorCommand } from '../../../local/doctor-command.js';

const root = process.cwd();

function doctor(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'local/doctor.ts'), ...args],
      { cwd: root, env: { ...process.env, LOCAL_DATA_DIR: dataDir }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The same, in this process. */
const doctorInProcess = (dataDir: string, args: string[]) =>
  runCommand(doctorCommand, args, { ...process.env, LOCAL_DATA_DIR: dataDir });

/** `{A: [x, y], B: 1}` -> `{'A.1': 'x', 'A.2': 'y', B: '1'}`, as the signed caller sends them. */
function flatten(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params))
    if (Array.isArray(v)) v.forEach((item, i) => (out[`${k}.${i + 1}`] = String(item)));
    else out[k] = String(v);
  return out;
}

describe('npm run doctor against the local stack', () => {
  let stack: LocalStack;
  let tmp: TempDir;
  let previousSink: LogSink;

  beforeAll(async () => {
    previousSink = setLogSink(() => undefined); // the in-process functions' JSON logs: not the test's output
    tmp = makeTempDir();
    stack = await startLocalStack({ dataDir: tmp.path('stack'), writeStackFile: true, functions: ['cert-api'] });
    const res = await fetch(`${stack.apiUrl}/v1/certificates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ commonName: 'doctor-1.example.com', keyAlgorithm: 'EC_P256' }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
    setLogSink(previousSink);
  });

  it('passes, one line per assumption, and records answers that keep their contracts', async () => {
    const dir = tmp.path('record');

    const run = await doctor(tmp.path('stack'), ['--record', dir]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^PASS {2}ca\.sub-ca: /m);
    expect(run.stdout).toMatch(/^PASS {2}ca\.sub-ca\.algorithm: sub-CA key: ECC/m);
    expect(run.stdout).toMatch(/server certificate id: listener: \d+-cn-hangzhou; CAS CertIdentifier: \d+-cn-hangzhou/);
    expect(run.stdout).toMatch(/^PASS {2}oss\.bucket private: /m);
    expect(run.stdout).toMatch(/^PASS {2}oss\.bucket encrypted: .*AES256/m);
    expect(run.stdout).toMatch(/^PASS {2}listener lsn-\S+@443 may update: .*DryRunOperation/m);
    expect(run.stdout).toMatch(/^PASS {2}record\.contracts: the \d+ recorded answers keep their contracts/m);
    expect(run.stdout).toMatch(/^doctor: \d+ passed, \d+ warnings, 0 failed/m);

    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      const call = JSON.parse(text) as {
        product: string;
        version: string;
        action: string;
        request: Record<string, unknown>;
        response: unknown;
      };
      const contract = contractFor(call.product, call.version, call.action);
      if (!contract) {
        problems.push(`${file}: no contract`);
        continue;
      }
      const request = checkRpcRequest(contract, flatten(call.request));
      problems.push(...request.violations.map((v) => `${file}: ${v}`));
      problems.push(...checkValue(contract.response.body!, call.response).map((p) => `${file}: ${p}`));
      expect(text).not.toMatch(/PRIVATE KEY|\b\d{16}\b/);
    }
    expect(problems).toEqual([]);
    // and as a user checks such a recording later (say one made on a real account)
    const validated = await doctorInProcess(tmp.path('stack'), ['--validate', dir]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/^OK {4}nlb-2022-04-30\/GetListenerAttribute\.1\.json$/m);
    expect(validated.stdout).toContain(
      `validate: ${files.length} of ${files.length} recorded answers keep their contracts`,
    );
  });

  it('--validate refuses an answer that strays from its contract, and a folder with no answers', async () => {
    // prepare: a recorded call as an account whose NLB differed from the model would give it
    const strayed = join(tmp.path('strayed'), 'nlb-2022-04-30');
    mkdirSync(strayed, { recursive: true });
    writeFileSync(
      join(strayed, 'GetListenerAttribute.1.json'),
      JSON.stringify({
        product: 'nlb',
        version: '2022-04-30',
        action: 'GetListenerAttribute',
        request: { ListenerId: 'lsn-0example0www0mtls0@443', RegionId: 'cn-hangzhou', Immediately: 2 },
        response: { RequestId: 'r-1', ListenerId: 'lsn-0example0www0mtls0@443', CaEnabled: 'yes' },
      }),
    );
    // act
    const bad = await doctorInProcess(tmp.path('stack'), ['--validate', tmp.path('strayed')]);
    const none = await doctorInProcess(tmp.path('stack'), ['--validate', tmp.path('no-such-dir')]);
    // assess
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL {2}\S+GetListenerAttribute\.1\.json: request: parameter Immediately is not/m);
    expect(bad.stdout).toMatch(
      /^FAIL {2}\S+GetListenerAttribute\.1\.json: response \$\.CaEnabled: expected a boolean/m,
    );
    expect(bad.stdout).toMatch(/^validate: 0 of 1 recorded answers keep their contracts, 1 do not$/m);
    expect(none.code).toBe(2);
  });

  it('removes secrets and account ids from what it records', () => {
    expect(
      redact({
        Key: '-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----',
        Owner: 'acs:ram::1234567890123456:role/x',
        Token: 'tok',
        Name: 'n',
      }),
    ).toEqual({ Key: '<redacted>', Owner: 'acs:ram::<account-id>:role/x', Token: '<redacted>', Name: 'n' });
  });
});
