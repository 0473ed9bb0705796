// A CA rotation's successor on the device: where its files go, when it counts as present, and what promotion does
// to the current files (kept as NAME.previous.*, the new root first in ca.crt, the state without the rotation).
// Fetching and checking it against the API runs in test/e2e/rotation/walkthrough.test.ts.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from '../../../cli/exit-codes.js';
import type { FileLayout } from '../../../cli/layout.js';
import { promoteSuccessor, readSuccessorState, successorFiles } from '../../../cli/successor.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

const OLD_ID = 'cc-00mx3bjy0tjxgei1ud6tx262h5';
const NEW_ID = 'cc-00mx3bl1qapdeu6p3achc07e0q';

const state = (certificateId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    v: 1,
    certificateId,
    api: 'https://api.example.com',
    commonName: 'device-1.example.com',
    mode: 'csr',
    generation: 1,
    serialNumber: 'aa',
    fingerprintSha256: 'bb',
    notBefore: '2026-11-01T00:00:00.000Z',
    notAfter: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...extra,
  });

describe('nlb-mtls successor files', () => {
  let tmp: TempDir;
  let layout: FileLayout;

  beforeEach(() => {
    tmp = makeTempDir();
    const dir = tmp.dir;
    layout = {
      cert: join(dir, 'client.crt'),
      key: join(dir, 'client.key'),
      ca: join(dir, 'ca.crt'),
      state: join(dir, 'client.json'),
      nextKey: join(dir, 'client.key.next'),
      p12: join(dir, 'client.p12'),
      p12Password: join(dir, 'client.p12.pass'),
    };
    writeFileSync(layout.cert, 'OLD CERT\n');
    writeFileSync(layout.key, 'OLD KEY\n', { mode: 0o600 });
    writeFileSync(layout.ca, 'OLD ROOT\n');
    writeFileSync(layout.state, state(OLD_ID));
  });
  afterEach(() => tmp.cleanup());

  it('names the successor and previous files beside NAME.crt and ca.crt', () => {
    expect(successorFiles(layout)).toEqual({
      cert: join(tmp.dir, 'client.successor.crt'),
      ca: join(tmp.dir, 'client.successor.ca.crt'),
      key: join(tmp.dir, 'client.successor.key'),
      state: join(tmp.dir, 'client.successor.json'),
      previous: {
        cert: join(tmp.dir, 'client.previous.crt'),
        key: join(tmp.dir, 'client.previous.key'),
        ca: join(tmp.dir, 'ca.previous.crt'),
        state: join(tmp.dir, 'client.previous.json'),
      },
    });
  });

  it('counts a successor only when both its state and its certificate are there', () => {
    const files = successorFiles(layout);
    expect(readSuccessorState(files)).toBeUndefined();
    writeFileSync(files.state, state(NEW_ID, { succeeds: OLD_ID, rotation: { id: 'r', fromCa: 'a', toCa: 'b' } }));
    expect(readSuccessorState(files)).toBeUndefined(); // no certificate yet: an interrupted fetch
    writeFileSync(files.cert, 'NEW CERT\n');
    expect(readSuccessorState(files)).toMatchObject({ certificateId: NEW_ID, succeeds: OLD_ID });
    writeFileSync(files.state, state(NEW_ID)); // a plain state file is not a successor's
    expect(readSuccessorState(files)).toBeUndefined();
  });

  it('promotes a CSR-mode successor: same key, previous files kept, the new root first in ca.crt', () => {
    const files = successorFiles(layout);
    writeFileSync(files.cert, 'NEW CERT\n');
    writeFileSync(files.ca, 'NEW ROOT\n');
    writeFileSync(files.state, state(NEW_ID, { succeeds: OLD_ID, rotation: { id: 'r', fromCa: 'a', toCa: 'b' } }));

    const { state: promoted } = promoteSuccessor(layout);
    expect(promoted.certificateId).toBe(NEW_ID);
    expect(readFileSync(layout.cert, 'utf8')).toBe('NEW CERT\n');
    expect(readFileSync(layout.key, 'utf8')).toBe('OLD KEY\n'); // CSR mode: the key does not change
    expect(readFileSync(layout.ca, 'utf8')).toBe('NEW ROOT\nOLD ROOT\n');
    expect(JSON.parse(readFileSync(layout.state, 'utf8'))).not.toHaveProperty('succeeds');
    expect(JSON.parse(readFileSync(layout.state, 'utf8'))).toMatchObject({ certificateId: NEW_ID });
    expect(readFileSync(files.previous.cert, 'utf8')).toBe('OLD CERT\n');
    expect(readFileSync(files.previous.ca, 'utf8')).toBe('OLD ROOT\n');
    expect(JSON.parse(readFileSync(files.previous.state, 'utf8'))).toMatchObject({ certificateId: OLD_ID });
    expect(statSync(files.previous.key).mode & 0o777).toBe(0o600);
    for (const gone of [files.cert, files.ca, files.state]) expect(existsSync(gone)).toBe(false);
  });

  it('promotes a server-key successor with its own key', () => {
    const files = successorFiles(layout);
    writeFileSync(files.cert, 'NEW CERT\n');
    writeFileSync(files.ca, 'NEW ROOT\n');
    writeFileSync(files.key, 'NEW KEY\n', { mode: 0o600 });
    writeFileSync(
      files.state,
      state(NEW_ID, { mode: 'server-key', succeeds: OLD_ID, rotation: { id: 'r', fromCa: 'a', toCa: 'b' } }),
    );
    promoteSuccessor(layout);
    expect(readFileSync(layout.key, 'utf8')).toBe('NEW KEY\n');
    expect(readFileSync(files.previous.key, 'utf8')).toBe('OLD KEY\n');
    expect(existsSync(files.key)).toBe(false);
  });

  it('refuses to promote when there is no successor, and touches nothing', () => {
    let caught: unknown;
    try {
      promoteSuccessor(layout);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect(caught).toMatchObject({ code: 'NO_SUCCESSOR', exitCode: EXIT.LOCAL });
    expect(readFileSync(layout.cert, 'utf8')).toBe('OLD CERT\n');
    expect(existsSync(successorFiles(layout).previous.cert)).toBe(false);
  });
});
