/**
 * The SSL certificate store (CAS 2020-04-07): uploaded server certificates with their keys. NLB listeners refer
 * to them by CAS's `CertIdentifier`, `<CertId>-<site>`: `cn-hangzhou` for a China-site account whatever the
 * region, `ap-southeast-1` for the International site (GetUserCertificateDetail model, audit D6); the data plane
 * serves them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { JsonlCollection } from '../persistence.js';
import { ApiError } from '../rpc/api-error.js';

export interface UserCertificate {
  certId: number;
  name: string;
  /** Leaf first, then any chain certificates the uploader included. */
  certPem: string;
  keyPem: string;
  uploadedAt: number;
}

const FIRST_CERT_ID = 12_000_000;

export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export class CertificateStore {
  private nextId: number;

  constructor(
    private readonly certificates: JsonlCollection<UserCertificate>,
    readonly region: string,
    /** The CAS site's region in `CertIdentifier` (default `cn-hangzhou`, the China site). */
    readonly site = 'cn-hangzhou',
  ) {
    let max = FIRST_CERT_ID;
    for (const c of certificates.values()) max = Math.max(max, c.certId);
    this.nextId = max + 1;
  }

  upload(input: { name: string; certPem: string; keyPem: string }): UserCertificate {
    const pems = splitPem(input.certPem);
    if (pems.length === 0)
      throw new ApiError(400, 'InvalidParameter.Cert', 'The certificate is not a PEM encoded X.509 certificate.');
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(pems[0]);
    } catch {
      throw new ApiError(400, 'InvalidParameter.Cert', 'The certificate is not a PEM encoded X.509 certificate.');
    }
    let matches: boolean;
    try {
      matches = leaf.checkPrivateKey(createPrivateKey(input.keyPem));
    } catch {
      throw new ApiError(400, 'InvalidParameter.Key', 'The private key is not a PEM encoded private key.');
    }
    if (!matches)
      throw new ApiError(400, 'InvalidParameter.KeyMismatch', 'The private key does not match the certificate.');
    const record: UserCertificate = {
      certId: this.nextId++,
      name: input.name,
      certPem: pems.join('\n') + '\n',
      keyPem: input.keyPem,
      uploadedAt: Date.now(),
    };
    this.certificates.put(String(record.certId), record);
    return record;
  }

  get(certId: number): UserCertificate | undefined {
    return this.certificates.get(String(certId));
  }

  /** Resolves the id NLB uses (`CertIdentifier`, `<CertId>-<site>`). */
  getByIdentifier(identifier: string): UserCertificate | undefined {
    const m = identifier.match(/^(\d+)-([a-z0-9-]+)$/);
    if (!m || m[2] !== this.site) return undefined;
    return this.get(Number(m[1]));
  }

  identifierOf(certId: number): string {
    return `${certId}-${this.site}`;
  }

  delete(certId: number): boolean {
    if (!this.certificates.has(String(certId))) return false;
    this.certificates.delete(String(certId));
    return true;
  }

  list(): UserCertificate[] {
    return [...this.certificates.values()];
  }
}
