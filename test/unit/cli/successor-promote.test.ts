// `nlb-mtls successor --promote` on a device that already fetched its successor (the order docs/rotation.md walks):
// the successor is read back from NAME.successor.crt, which holds the chain (leaf + the new sub-CA) as written on
// fetch, and promoted without asking the API. Real certificates on disk; no API is reachable (none is configured).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { successorFiles } from '../../../cli/successor.js';
import { stateFrom } from '../../../cli/credentials.js';
import { inspectCertificate, signClientCertificate, splitPemCertificates } from '../../../shared/pki/index.js';
import { createTestHierarchy, issueTestClient, type TestHierarchy } from '../../helpers/pki-hierarchy.js';
import { runInProcess } from '../../helpers/nlb-mtls-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

const API = 'https://api.example.com';
const OLD_ID = 'cc-00mx3bjy0tjxgei1ud6tx262h5';
const NEW_ID = 'cc-00mx3bl1qapdeu6p3achc07e0q';
const DAY = 24 * 3600_000;

describe('nlb-mtls successor after the successor was fetched', () => {
  let tmp: TempDir;
  let oldCa: TestHierarchy;
  let newCa: TestHierarchy;
  let files: ReturnType<typeof successorFiles>;
  let oldCert: string;
  let newLeaf: string;
  const path = (name: string) => join(tmp.dir, name);

  beforeAll(async () => {
    [oldCa, newCa] = await Promise.all([createTestHierarchy({ name: 'Old' }), createTestHierarchy({ name: 'New' })]);
  });

  beforeEach(async () => {
    tmp = makeTempDir();
    // The current certificate (old sub-CA) and, as `nlb-mtls successor` writes it, its CSR-mode successor for the
    // same key from the new sub-CA: NAME.successor.crt holds leaf + sub-CA, NAME.successor.ca.crt the new root(s).
    const device = await issueTestClient(oldCa, { commonName: 'device-1.example.com' });
    oldCert = device.certificatePem + oldCa.sub.certificatePem;
    newLeaf = await signClientCertificate({
      publicKey: device.keyPair.publicKey,
      commonName: 'device-1.example.com',
      notAfter: new Date(Date.now() + 30 * DAY),
      issuer: newCa.sub,
    });
    const keyPem = device.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(path('client.crt'), oldCert);
    writeFileSync(path('client.key'), keyPem, { mode: 0o600 });
    writeFileSync(path('ca.crt'), oldCa.root.certificatePem);
    const facts = { api: API, mode: 'csr' as const, generation: 1 };
    const now = new Date();
    writeFileSync(
      path('client.json'),
      JSON.stringify(stateFrom(inspectCertificate(device.certificatePem), { ...facts, certificateId: OLD_ID }, now)),
    );
    files = successorFiles({
      cert: path('client.crt'),
      key: path('client.key'),
      ca: path('ca.crt'),
      state: path('client.json'),
      nextKey: path('client.key.next'),
      p12: path('client.p12'),
      p12Password: path('client.p12.pass'),
    });
    writeFileSync(files.cert, newLeaf + newCa.sub.certificatePem);
    // As an earlier version wrote it: the bundle's ca.crt, new sub-CA and root (only the root may go into ca.crt).
    writeFileSync(files.ca, newCa.sub.certificatePem + newCa.root.certificatePem);
    writeFileSync(
      files.state,
      JSON.stringify({
        ...stateFrom(inspectCertificate(newLeaf), { ...facts, certificateId: NEW_ID }, now),
        succeeds: OLD_ID,
        rotation: { id: 'rot-1', fromCa: 'ca-old', toCa: 'ca-new' },
      }),
    );
  });
  afterEach(() => tmp.cleanup());

  it('`successor` again reports the successor already here, from its leaf, and changes nothing', async () => {
    const result = await runInProcess(['successor', '--dir', tmp.dir, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      successorId: NEW_ID,
      fetched: false,
      promoted: false,
      serialNumber: inspectCertificate(newLeaf).serialNumber,
    });
    expect(readFileSync(path('client.crt'), 'utf8')).toBe(oldCert);
    expect(existsSync(files.cert)).toBe(true);
  });

  it('`successor --promote` promotes it: chain in NAME.crt, key 0600 unchanged, new root first in ca.crt', async () => {
    const keyBefore = readFileSync(path('client.key'), 'utf8');
    const result = await runInProcess(['successor', '--promote', '--dir', tmp.dir, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ successorId: NEW_ID, fetched: false, promoted: true });

    expect(splitPemCertificates(readFileSync(path('client.crt'), 'utf8'))).toEqual(
      splitPemCertificates(newLeaf + newCa.sub.certificatePem),
    );
    expect(readFileSync(path('client.key'), 'utf8')).toBe(keyBefore);
    expect(statSync(path('client.key')).mode & 0o777).toBe(0o600);
    expect(splitPemCertificates(readFileSync(path('ca.crt'), 'utf8'))).toEqual(
      splitPemCertificates(newCa.root.certificatePem + oldCa.root.certificatePem),
    );
    const state = JSON.parse(readFileSync(path('client.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({ certificateId: NEW_ID, serialNumber: inspectCertificate(newLeaf).serialNumber });
    expect(state).not.toHaveProperty('succeeds');
    expect(readFileSync(files.previous.cert, 'utf8')).toBe(oldCert);
    expect(statSync(files.previous.key).mode & 0o777).toBe(0o600);
    for (const gone of [files.cert, files.ca, files.state, files.key]) expect(existsSync(gone)).toBe(false);

    // `status` reads the promoted files as the certificate.
    const status = await runInProcess(['status', '--dir', tmp.dir, '--json']);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({ certificateId: NEW_ID });
  });
});
