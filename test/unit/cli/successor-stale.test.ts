// A successor left on disk from an earlier rotation (or from before `request --force`, or before a renewal with a
// new key) must never be reused or promoted: `successor` drops it with a note and asks for the current one, and
// staleSuccessor says why. Real certificates on disk; the API is http://127.0.0.1:1 (nothing listens), so the
// fetch after the drop ends in exit 5, which shows the stale one was not reused.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateFrom } from '../../../cli/credentials.js';
import { EXIT } from '../../../cli/exit-codes.js';
import { readSuccessorState, staleSuccessor, successorFiles, type SuccessorState } from '../../../cli/successor.js';
import type { FileLayout } from '../../../cli/layout.js';
import { generateKeyPair, inspectCertificate, signClientCertificate } from '../../../shared/pki/index.js';
import {
  createTestHierarchy,
  issueTestClient,
  type IssuedClient,
  type TestHierarchy,
} from '../../helpers/pki-hierarchy.js';
import { runInProcess } from '../../helpers/nlb-mtls-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

const API = 'http://127.0.0.1:1';
const CURRENT_ID = 'cc-00mx3bjy0tjxgei1ud6tx262h5';
const EARLIER_ID = 'cc-00mx3aaaaaaaaaaaaaaaaaaaaa';
const SUCCESSOR_ID = 'cc-00mx3bl1qapdeu6p3achc07e0q';
const DAY = 24 * 3600_000;

describe('a stale successor on disk', () => {
  let tmp: TempDir;
  let oldCa: TestHierarchy;
  let newCa: TestHierarchy;
  let device: IssuedClient;
  let layout: FileLayout;
  let files: ReturnType<typeof successorFiles>;
  const path = (name: string) => join(tmp.dir, name);

  beforeAll(async () => {
    [oldCa, newCa] = await Promise.all([createTestHierarchy({ name: 'Old' }), createTestHierarchy({ name: 'New' })]);
    device = await issueTestClient(oldCa, { commonName: 'device-1.example.com' });
  });

  /** Writes NAME.successor.* as `nlb-mtls successor` does: a leaf for `publicKey` under the new CA. */
  async function writeSuccessor(o: {
    succeeds: string;
    publicKey?: IssuedClient['keyPair']['publicKey'];
    cn?: string;
  }) {
    const leaf = await signClientCertificate({
      publicKey: o.publicKey ?? device.keyPair.publicKey,
      commonName: o.cn ?? 'device-1.example.com',
      notAfter: new Date(Date.now() + 30 * DAY),
      issuer: newCa.sub,
    });
    writeFileSync(files.cert, leaf + newCa.sub.certificatePem);
    writeFileSync(files.ca, newCa.root.certificatePem);
    const state: SuccessorState = {
      ...stateFrom(
        inspectCertificate(leaf),
        { certificateId: SUCCESSOR_ID, api: API, mode: 'csr', generation: 1 },
        new Date(),
      ),
      succeeds: o.succeeds,
      rotation: { id: 'rot-earlier', fromCa: 'ca-old', toCa: 'ca-new' },
    };
    writeFileSync(files.state, JSON.stringify(state));
    return state;
  }

  beforeEach(() => {
    tmp = makeTempDir();
    writeFileSync(path('client.crt'), device.certificatePem + oldCa.sub.certificatePem);
    writeFileSync(path('client.key'), device.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, {
      mode: 0o600,
    });
    writeFileSync(path('ca.crt'), oldCa.root.certificatePem);
    writeFileSync(
      path('client.json'),
      JSON.stringify(
        stateFrom(
          inspectCertificate(device.certificatePem),
          { certificateId: CURRENT_ID, api: API, mode: 'csr', generation: 1 },
          new Date(),
        ),
      ),
    );
    layout = {
      cert: path('client.crt'),
      key: path('client.key'),
      ca: path('ca.crt'),
      state: path('client.json'),
      nextKey: path('client.key.next'),
      p12: path('client.p12'),
      p12Password: path('client.p12.pass'),
    };
    files = successorFiles(layout);
  });
  afterEach(() => tmp.cleanup());

  const current = () => ({
    certificateId: CURRENT_ID,
    leaf: inspectCertificate(device.certificatePem),
    key: device.keyPair.privateKey,
  });

  it.each([
    ['it succeeds another certificate', { succeeds: EARLIER_ID }, 0, /succeeds cc-00mx3a.* not the certificate in use/],
    ['it is for another key (the device renewed with a new key since)', { otherKey: true }, 0, /another key/],
    ['it certifies other names', { cn: 'device-2.example.com' }, 0, /other names/],
    ['it has expired', {}, 60, /expired/],
  ])('stale when %s', async (_why, o: { succeeds?: string; otherKey?: boolean; cn?: string }, days, reason) => {
    const other = o.otherKey ? (await generateKeyPair('EC_P256')).publicKey : undefined;
    const state = await writeSuccessor({ succeeds: o.succeeds ?? CURRENT_ID, publicKey: other, cn: o.cn });
    const now = new Date(Date.now() + days * DAY);
    expect(staleSuccessor(files, state, current(), now).reason).toMatch(reason);
  });

  it('fresh when it succeeds the certificate in use, for its key and names, still valid', async () => {
    const state = await writeSuccessor({ succeeds: CURRENT_ID });
    expect(staleSuccessor(files, state, current(), new Date()).reason).toBeUndefined();
    expect(readSuccessorState(files)).toMatchObject({ certificateId: SUCCESSOR_ID, succeeds: CURRENT_ID });
  });

  it('`successor --promote` drops a successor of an earlier certificate with a note, asks again, promotes nothing', async () => {
    await writeSuccessor({ succeeds: EARLIER_ID });
    const before = {
      cert: readFileSync(path('client.crt'), 'utf8'),
      ca: readFileSync(path('ca.crt'), 'utf8'),
      state: readFileSync(path('client.json'), 'utf8'),
    };
    const result = await runInProcess(['successor', '--promote', '--dir', tmp.dir]);
    expect(result.stderr).toMatch(/note: dropping the stale successor .*client\.successor\.crt.*succeeds cc-00mx3a/);
    // It asked the API for the current successor (nothing listens): the stale one was not reused.
    expect(result.code).toBe(EXIT.UNAVAILABLE);
    for (const gone of [files.cert, files.ca, files.state]) expect(existsSync(gone)).toBe(false);
    expect(readFileSync(path('client.crt'), 'utf8')).toBe(before.cert);
    expect(readFileSync(path('ca.crt'), 'utf8')).toBe(before.ca);
    expect(readFileSync(path('client.json'), 'utf8')).toBe(before.state);
    expect(existsSync(files.previous.cert)).toBe(false);
  });

  it('`agent --once` logs successor-stale with the reason, drops it and asks for the current one', async () => {
    await writeSuccessor({ succeeds: EARLIER_ID });
    const result = await runInProcess(['agent', '--once', '--dir', tmp.dir, '--json']);
    expect(result.code).toBe(EXIT.OK); // not due; a failed successor fetch is an event, never the agent's end
    const events = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; code?: string });
    expect(events.find((e) => e.event === 'successor-stale')).toMatchObject({
      successor: SUCCESSOR_ID,
      rotation: 'rot-earlier',
      reason: expect.stringContaining(`succeeds ${EARLIER_ID}`),
    });
    expect(events.find((e) => e.event === 'successor-failed')).toMatchObject({ code: 'UNREACHABLE' });
    expect(existsSync(files.state)).toBe(false);
  });

  it('a successor state without its rotation is refused by name (exit 3), not an internal error', async () => {
    const state = await writeSuccessor({ succeeds: CURRENT_ID });
    writeFileSync(files.state, JSON.stringify({ ...state, rotation: undefined }));
    const result = await runInProcess(['successor', '--dir', tmp.dir, '--json']);
    expect(result.code).toBe(EXIT.LOCAL);
    expect(JSON.parse(result.stdout).error).toMatchObject({
      code: 'STATE_INVALID',
      message: expect.stringContaining(files.state),
    });
    expect(existsSync(files.cert)).toBe(true);
  });
});
