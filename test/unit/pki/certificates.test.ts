import { X509Certificate } from 'node:crypto';
import {
  chainsTo,
  checkSubjectAltNames,
  createCertificateAuthority,
  generateKeyPair,
  inspectCertificate,
  keyMatchesCertificate,
  PkiError,
  signClientCertificate,
  signServerCertificate,
  splitPemCertificates,
  type CaMaterial,
  type KeyPair,
  type LeafInput,
} from '../../../shared/pki/index.js';
import { x509 } from '../../../shared/pki/x509.js';

const DAY = 24 * 3600_000;
const now = Date.now();
let root: CaMaterial;
let sub: CaMaterial;
let otherRoot: CaMaterial;
let ecKey: KeyPair;
let rsaKey: KeyPair;

beforeAll(async () => {
  root = await createCertificateAuthority({
    commonName: 'Unit Root',
    organization: 'Acme',
    keyAlgorithm: 'EC_P384',
    notAfter: new Date(now + 3650 * DAY),
    pathLength: 1,
  });
  sub = await createCertificateAuthority({
    commonName: 'Unit Sub',
    keyAlgorithm: 'EC_P256',
    notAfter: new Date(now + 365 * DAY),
    issuer: root,
    pathLength: 0,
  });
  otherRoot = await createCertificateAuthority({ commonName: 'Other Root', notAfter: new Date(now + 365 * DAY) });
  [ecKey, rsaKey] = await Promise.all([generateKeyPair('EC_P256'), generateKeyPair('RSA_2048')]);
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof PkiError ? err.code : `not a PkiError: ${String(err)}`;
  }
}

describe('createCertificateAuthority', () => {
  it('makes a self-signed root and a sub-CA under it, both CA:true with keyCertSign', () => {
    // act
    const rootInfo = inspectCertificate(root.certificatePem);
    const subInfo = inspectCertificate(sub.certificatePem);
    const subParsed = new x509.X509Certificate(sub.certificatePem);
    // assess
    expect(rootInfo).toMatchObject({
      isCa: true,
      subject: 'O=Acme, CN=Unit Root',
      issuer: 'O=Acme, CN=Unit Root',
      keyAlgorithm: 'EC_P384',
      keySize: 384,
    });
    expect(subInfo).toMatchObject({
      isCa: true,
      subject: 'CN=Unit Sub',
      issuer: 'O=Acme, CN=Unit Root',
      keyAlgorithm: 'EC_P256',
    });
    expect(subParsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({
      ca: true,
      pathLength: 0,
      critical: true,
    });
    expect(subParsed.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(keyMatchesCertificate(sub.privateKey, sub.certificatePem)).toBe(true);
    expect(chainsTo(sub.certificatePem, [], root.certificatePem)).toBe(true);
  });

  it("caps a sub-CA at its parent's notAfter", async () => {
    const child = await createCertificateAuthority({
      commonName: 'Long Sub',
      notAfter: new Date(now + 20 * 365 * DAY),
      issuer: sub,
    });
    expect(inspectCertificate(child.certificatePem).notAfter).toEqual(inspectCertificate(sub.certificatePem).notAfter);
  });
});

describe('signClientCertificate', () => {
  it.each([
    ['EC_P256', () => ecKey, x509.KeyUsageFlags.digitalSignature],
    ['RSA_2048', () => rsaKey, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment],
  ] as const)(
    'issues a %s client leaf: CA:false, EKU clientAuth only, keyUsage for the key type, SKI/AKI, SANs',
    async (algorithm, key, expectedUsages) => {
      // prepare
      const sans = {
        dns: ['d.example.com'],
        uri: ['spiffe://example.org/d'],
        email: ['d@example.com'],
        ip: ['192.0.2.1', '2001:db8::1'],
      };
      // act
      const pem = await signClientCertificate({
        publicKey: key().publicKey,
        commonName: 'device-7',
        sans,
        notAfter: new Date(now + 30 * DAY),
        issuer: sub,
      });
      // assess
      const info = inspectCertificate(pem);
      const parsed = new x509.X509Certificate(pem);
      const subParsed = new x509.X509Certificate(sub.certificatePem);
      expect(info).toMatchObject({
        commonName: 'device-7',
        subject: 'CN=device-7',
        issuer: 'CN=Unit Sub',
        isCa: false,
        keyAlgorithm: algorithm,
        extendedKeyUsage: ['clientAuth'],
        sans,
      });
      expect(info.serialNumber).toMatch(/^[0-9a-f]{32}$/);
      expect(info.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(parsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
      expect(parsed.getExtension(x509.KeyUsagesExtension)!.usages).toBe(expectedUsages);
      expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(
        subParsed.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
      );
      expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toMatch(/^[0-9a-f]{40}$/);
      expect(new X509Certificate(pem).verify(new X509Certificate(sub.certificatePem).publicKey)).toBe(true);
    },
  );

  it('issues IP SANs that read back exactly as checkSubjectAltNames writes them', async () => {
    const ip = ['2001:DB8:0:0:0:0:0:1', '2001:db8:0:0:1:0:0:1', '::', '::ffff:192.0.2.1', '192.0.2.1'];
    const pem = await signClientCertificate({
      publicKey: ecKey.publicKey,
      commonName: 'ip',
      sans: { ip },
      notAfter: new Date(now + DAY),
      issuer: sub,
    });
    expect(inspectCertificate(pem).sans.ip).toEqual(checkSubjectAltNames({ ip }).ip);
  });

  it('gives every leaf a different random serial, and uses a given one', async () => {
    const input = { publicKey: ecKey.publicKey, commonName: 'x', notAfter: new Date(now + DAY), issuer: sub };
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) serials.add(inspectCertificate(await signClientCertificate(input)).serialNumber);
    expect(serials.size).toBe(20);
    expect(inspectCertificate(await signClientCertificate({ ...input, serialNumber: 'ABCDEF01' })).serialNumber).toBe(
      'abcdef01',
    );
    expect(await codeOf(signClientCertificate({ ...input, serialNumber: 'xyz' }))).toBe('SERIAL_INVALID');
  });

  it("caps notAfter at the issuer's notAfter and keeps exact second validity", async () => {
    const notBefore = new Date(now + 1000);
    const pem = await signClientCertificate({
      publicKey: ecKey.publicKey,
      commonName: 'x',
      notBefore,
      notAfter: new Date(now + 5 * 365 * DAY),
      issuer: sub,
    });
    const info = inspectCertificate(pem);
    expect(info.notAfter).toEqual(inspectCertificate(sub.certificatePem).notAfter);
    expect(info.notBefore.getTime()).toBe(Math.floor(notBefore.getTime() / 1000) * 1000);
  });

  it.each<[string, Partial<LeafInput>, string]>([
    [
      'notAfter before notBefore',
      { notBefore: new Date(now + 2 * DAY), notAfter: new Date(now + DAY) },
      'VALIDITY_INVALID',
    ],
    ['an invalid CN', { commonName: 'a\nb' }, 'COMMON_NAME_INVALID'],
    ['an invalid SAN', { sans: { dns: ['bad name'] } }, 'SAN_INVALID'],
  ])('refuses %s', async (_label, override, code) => {
    expect(
      await codeOf(
        signClientCertificate({
          publicKey: ecKey.publicKey,
          commonName: 'x',
          notAfter: new Date(now + DAY),
          issuer: sub,
          ...override,
        }),
      ),
    ).toBe(code);
  });

  it('refuses an issuer that is not a CA, or whose key does not match', async () => {
    const leaf = await signClientCertificate({
      publicKey: ecKey.publicKey,
      commonName: 'x',
      notAfter: new Date(now + DAY),
      issuer: sub,
    });
    expect(
      await codeOf(
        signClientCertificate({
          publicKey: rsaKey.publicKey,
          commonName: 'y',
          notAfter: new Date(now + DAY),
          issuer: { certificatePem: leaf, privateKey: ecKey.privateKey },
        }),
      ),
    ).toBe('CERTIFICATE_MALFORMED');
    expect(
      await codeOf(
        signClientCertificate({
          publicKey: rsaKey.publicKey,
          commonName: 'y',
          notAfter: new Date(now + DAY),
          issuer: { certificatePem: sub.certificatePem, privateKey: root.privateKey },
        }),
      ),
    ).toBe('CERTIFICATE_MALFORMED');
  });
});

describe('signServerCertificate', () => {
  it('issues EKU serverAuth with the DNS SANs', async () => {
    const pem = await signServerCertificate({
      publicKey: ecKey.publicKey,
      commonName: 'www.example.com',
      sans: { dns: ['www.example.com'] },
      notAfter: new Date(now + DAY),
      issuer: root,
    });
    expect(inspectCertificate(pem)).toMatchObject({
      extendedKeyUsage: ['serverAuth'],
      sans: { dns: ['www.example.com'] },
      isCa: false,
    });
  });
});

describe('keyMatchesCertificate and chainsTo', () => {
  let leaf: string;
  beforeAll(async () => {
    leaf = await signClientCertificate({
      publicKey: rsaKey.publicKey,
      commonName: 'chain',
      notAfter: new Date(now + DAY),
      issuer: sub,
    });
  });

  it('matches the right key only (private or public)', () => {
    expect(keyMatchesCertificate(rsaKey.privateKey, leaf)).toBe(true);
    expect(keyMatchesCertificate(rsaKey.publicKey, leaf)).toBe(true);
    expect(keyMatchesCertificate(ecKey.privateKey, leaf)).toBe(false);
  });

  it.each([
    ['leaf -> sub -> root', () => [leaf, [sub.certificatePem], root.certificatePem], true],
    ['leaf -> sub (sub trusted directly)', () => [leaf, [], sub.certificatePem], true],
    [
      'intermediates given as one PEM text with the root too',
      () => [leaf, [sub.certificatePem + root.certificatePem], root.certificatePem],
      true,
    ],
    ['missing intermediate', () => [leaf, [], root.certificatePem], false],
    ['another root', () => [leaf, [sub.certificatePem], otherRoot.certificatePem], false],
    ['a leaf posing as intermediate', () => [leaf, [leaf], root.certificatePem], false],
  ] as const)('%s', (_label, args, expected) => {
    const [certificate, intermediates, trusted] = args();
    expect(chainsTo(certificate as string, intermediates as string[], trusted as string)).toBe(expected);
  });

  it('refuses garbage with CERTIFICATE_MALFORMED', () => {
    expect(() => inspectCertificate('not a certificate')).toThrow(
      expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' }),
    );
    expect(() => inspectCertificate('-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n')).toThrow(
      expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' }),
    );
  });

  it('splits a PEM text into canonical certificates, skipping other blocks', () => {
    const text = `junk\n${leaf}\n${rsaKey.privateKey.export({ type: 'pkcs8', format: 'pem' })}${sub.certificatePem.replace(/\n/g, '\r\n')}`;
    expect(splitPemCertificates(text)).toEqual([leaf, sub.certificatePem]);
  });
});
