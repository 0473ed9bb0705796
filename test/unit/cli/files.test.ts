/** Files on the device are replaced atomically with their mode set first, and a crash between the renames is healed. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCredentials, loadCredentials } from '../../../cli/credentials.js';
import { CliError } from '../../../cli/exit-codes.js';
import { writeFileAtomic } from '../../../cli/files.js';
import type { FileLayout } from '../../../cli/layout.js';
import { createCertificateAuthority, generateKeyPair, signClientCertificate } from '../../../shared/pki/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nma-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const layoutIn = (d: string): FileLayout => ({
  cert: join(d, 'client.crt'),
  key: join(d, 'client.key'),
  ca: join(d, 'ca.crt'),
  state: join(d, 'client.json'),
  nextKey: join(d, 'client.key.next'),
  p12: join(d, 'client.p12'),
  p12Password: join(d, 'client.p12.pass'),
});

describe('writeFileAtomic', () => {
  it('replaces the content with the mode set, whatever the umask, and leaves no temp file', () => {
    // prepare
    const file = join(dir, 'client.key');
    writeFileSync(file, 'old', { mode: 0o644 });
    const umask = process.umask(0o000);
    // act
    try {
      writeFileAtomic(file, 'new', 0o600);
    } finally {
      process.umask(umask);
    }
    // assess
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['client.key']);
  });

  it.each([
    ['a missing directory', (d: string) => join(d, 'missing', 'client.crt'), /no such file or directory/],
    [
      'a directory in the way',
      (d: string) => (mkdirSync(join(d, 'client.crt')), join(d, 'client.crt')),
      /it is a directory/,
    ],
  ])('fails clearly on %s and leaves nothing behind', (_name, target, message) => {
    // prepare
    const path = target(dir);
    const before = readdirSync(dir);
    // act
    let error: unknown;
    try {
      writeFileAtomic(path, 'data', 0o644);
    } catch (err) {
      error = err;
    }
    // assess
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(message);
    expect(readdirSync(dir)).toEqual(before);
  });
});

describe('a replacement interrupted between the certificate and its key', () => {
  it('is finished on the next load: the key that fits the new certificate is moved into place', async () => {
    // prepare: the old certificate installed, then a crash right after the new certificate was written
    const root = await createCertificateAuthority({
      commonName: 'Root',
      notAfter: new Date(Date.now() + 365 * 86_400_000),
    });
    const issue = async () => {
      const keys = await generateKeyPair('EC_P256');
      const pem = await signClientCertificate({
        publicKey: keys.publicKey,
        commonName: 'd.example.com',
        notAfter: new Date(Date.now() + 86_400_000),
        issuer: root,
      });
      return { pem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
    };
    const layout = layoutIn(dir);
    const [oldCert, newCert] = [await issue(), await issue()];
    writeFileSync(layout.ca, root.certificatePem);
    installCredentials(layout, { chainPems: [oldCert.pem], key: { kind: 'pem', pem: oldCert.keyPem } });
    writeFileSync(layout.nextKey, newCert.keyPem, { mode: 0o600 });
    writeFileSync(layout.cert, newCert.pem);
    // act
    const loaded = loadCredentials(layout, { requireCa: true });
    // assess
    expect(loaded.recovered).toBe(true);
    expect(readFileSync(layout.key, 'utf8')).toBe(newCert.keyPem);
    expect(readdirSync(dir).sort()).toEqual(['ca.crt', 'client.crt', 'client.key']);
  });
});
