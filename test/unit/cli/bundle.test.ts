/** What the CLI accepts from a download: .p12 opened by OpenSSL with its password, keys in the clear or encrypted. */
import { createPrivateKey } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import { openP12, openPemZip, plainKeyPem } from '../../../cli/bundle.js';
import { CliError } from '../../../cli/exit-codes.js';
import {
  buildPkcs12,
  createCertificateAuthority,
  generateKeyPair,
  keyMatchesCertificate,
  signClientCertificate,
  type CaMaterial,
  type KeyPair,
} from '../../../shared/pki/index.js';

let root: CaMaterial;
let keys: KeyPair;
let leaf: string;
beforeAll(async () => {
  root = await createCertificateAuthority({ commonName: 'Root', notAfter: new Date(Date.now() + 365 * 86_400_000) });
  keys = await generateKeyPair('EC_P256');
  leaf = await signClientCertificate({
    publicKey: keys.publicKey,
    commonName: 'd.example.com',
    notAfter: new Date(Date.now() + 86_400_000),
    issuer: root,
  });
});

const codeOf = (work: () => unknown) => {
  try {
    work();
    return undefined;
  } catch (err) {
    return err instanceof CliError ? `${err.exitCode}:${err.code}` : String(err);
  }
};

describe('openP12', () => {
  it('opens with the right password and names its certificate; a wrong one is exit 6', async () => {
    // prepare
    const password = 'Correct-Horse-42';
    const p12 = await buildPkcs12({
      privateKey: keys.privateKey,
      certificatePem: leaf,
      chainPems: [root.certificatePem],
      password,
      profile: 'modern',
      friendlyName: 'd.example.com',
    });
    // act
    const opened = openP12(p12, password);
    const wrong = codeOf(() => openP12(p12, 'Wrong-Password-42'));
    // assess
    expect(keyMatchesCertificate(keys.publicKey, opened.leafPem)).toBe(true);
    expect(opened.issuerPem).toBeDefined();
    expect(wrong).toBe('6:P12_PASSWORD_WRONG');
  });
});

describe('plainKeyPem', () => {
  it('opens a key encrypted with the bundle password and stores it as plain PKCS#8', () => {
    // prepare
    const encrypted = keys.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'Bundle-Password-9',
    }) as string;
    // act
    const plain = plainKeyPem(encrypted, 'Bundle-Password-9');
    const wrong = codeOf(() => plainKeyPem(encrypted, 'not-it'));
    const missing = codeOf(() => plainKeyPem(encrypted, undefined));
    // assess
    expect(plain).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keyMatchesCertificate(createPrivateKey(plain), leaf)).toBe(true);
    expect(wrong).toBe('6:BUNDLE_KEY_INVALID');
    expect(missing).toBe('2:PASSWORD_REQUIRED');
  });
});

describe('openPemZip', () => {
  it('reads only the files the service writes, each small', () => {
    // prepare
    const zip = Buffer.from(
      zipSync({
        'client.crt': strToU8(leaf),
        'ca.crt': strToU8(root.certificatePem),
        'extra.bin': new Uint8Array(1024),
        'README.txt': new Uint8Array(300 * 1024),
      }),
    );
    // act
    const bundle = openPemZip(zip);
    const notZip = codeOf(() => openPemZip(Buffer.from('PK\x03\x04 broken')));
    // assess
    expect(bundle.chainPems).toHaveLength(1);
    expect(bundle.caPems).toHaveLength(1);
    expect(bundle.keyPem).toBeUndefined();
    expect(notZip).toBe('6:BUNDLE_MALFORMED');
  });
});
