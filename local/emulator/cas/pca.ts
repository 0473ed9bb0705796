/**
 * The private CA (CAS 2020-06-30): a root and one subordinate CA made on first start and kept in the data dir,
 * and the client certificates the sub-CA issues. It really signs (shared/pki), refuses what CAS refuses
 * (validity beyond the issuing CA, unknown or root parent, bad CSRs), and a ClientToken makes a create idempotent.
 */
import { X509Certificate, createHash, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyAlgorithm, SubjectAltNames } from '../../../shared/domain/client-certificate.js';
import {
  PkiError,
  createCertificateAuthority,
  generateKeyPair,
  keyAlgorithmOf,
  parseCsr,
  signClientCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import type { JsonlCollection } from '../persistence.js';
import { ApiError } from '../rpc/api-error.js';

export interface CaRecord {
  identifier: string;
  parentIdentifier?: string;
  certificateType: 'ROOT' | 'SUB_ROOT';
  commonName: string;
  certificatePem: string;
  privateKeyPem: string;
  createdAt: number;
  /** DescribeCACertificate's Status; absent = ISSUE. `REVOKE` only through the test helper (local/emulator/cas/hierarchy.ts). */
  status?: 'ISSUE' | 'REVOKE';
}

export interface ClientCertificateRecord {
  identifier: string;
  parentIdentifier: string;
  serialNumber: string;
  commonName: string;
  /** As sent: SanType (1 email, 2 DNS, 6 URI, 7 IP) and the comma-separated SanValue. */
  sanType?: number;
  sanValue?: string;
  certificatePem: string;
  notBefore: number;
  notAfter: number;
  keyAlgorithm: KeyAlgorithm | 'unknown';
  keySize: number;
  sha2: string;
  md5: string;
  status: 'ISSUE' | 'REVOKE';
  revokedAt?: number;
  aliasName?: string;
  clientToken?: string;
  /** Only for CreateClientCertificate (the CA made the key); released encrypted by DescribeCertificatePrivateKey. */
  privateKeyPem?: string;
  createdAt: number;
}

export interface IssueInput {
  parentIdentifier: string;
  /** CSR mode when set; otherwise the CA makes a key of `keyAlgorithm`. */
  csrPem?: string;
  commonName?: string;
  keyAlgorithm?: KeyAlgorithm;
  sanType?: number;
  sanValue?: string;
  notBefore: Date;
  notAfter: Date;
  aliasName?: string;
  clientToken?: string;
}

const SAN_TYPES: Record<number, keyof SubjectAltNames> = { 1: 'email', 2: 'dns', 6: 'uri', 7: 'ip' };

export function pcaIdentifier(): string {
  return randomBytes(16).toString('hex');
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export class PrivateCa {
  private readonly cas = new Map<string, CaRecord>();
  private readonly materials = new Map<string, CaMaterial>();
  private readonly byToken = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<ClientCertificateRecord>>();

  private constructor(
    private readonly clientCertificates: JsonlCollection<ClientCertificateRecord>,
    records: CaRecord[],
    private readonly caFile?: string,
  ) {
    for (const ca of records) {
      this.cas.set(ca.identifier, ca);
      this.materials.set(ca.identifier, {
        certificatePem: ca.certificatePem,
        privateKey: createPrivateKey(ca.privateKeyPem),
      });
    }
    for (const c of clientCertificates.values()) if (c.clientToken) this.byToken.set(c.clientToken, c.identifier);
  }

  /** Loads the CA hierarchy from `caFile`, or makes root (10 years) -> sub-CA (5 years) and saves it there. */
  static async open(options: {
    caFile?: string;
    clientCertificates: JsonlCollection<ClientCertificateRecord>;
    keyAlgorithm?: KeyAlgorithm;
  }): Promise<PrivateCa> {
    if (options.caFile && existsSync(options.caFile)) {
      const records = JSON.parse(readFileSync(options.caFile, 'utf8')) as CaRecord[];
      return new PrivateCa(options.clientCertificates, records, options.caFile);
    }
    const now = Date.now();
    const keyAlgorithm = options.keyAlgorithm ?? 'RSA_2048';
    const root = await createCertificateAuthority({
      commonName: 'Emulated PCA Root CA',
      organization: 'nlb-mtls-autopilot',
      keyAlgorithm,
      notAfter: new Date(now + 10 * YEAR_MS),
      pathLength: 1,
    });
    const sub = await createCertificateAuthority({
      commonName: 'Emulated PCA Sub CA',
      organization: 'nlb-mtls-autopilot',
      keyAlgorithm,
      notAfter: new Date(now + 5 * YEAR_MS),
      issuer: root,
      pathLength: 0,
    });
    const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const rootRecord: CaRecord = {
      identifier: pcaIdentifier(),
      certificateType: 'ROOT',
      commonName: 'Emulated PCA Root CA',
      certificatePem: root.certificatePem,
      privateKeyPem: pem(root.privateKey),
      createdAt: now,
    };
    const subRecord: CaRecord = {
      identifier: pcaIdentifier(),
      parentIdentifier: rootRecord.identifier,
      certificateType: 'SUB_ROOT',
      commonName: 'Emulated PCA Sub CA',
      certificatePem: sub.certificatePem,
      privateKeyPem: pem(sub.privateKey),
      createdAt: now,
    };
    if (options.caFile) {
      mkdirSync(dirname(options.caFile), { recursive: true });
      writeFileSync(options.caFile, JSON.stringify([rootRecord, subRecord], null, 2), { mode: 0o600 });
    }
    return new PrivateCa(options.clientCertificates, [rootRecord, subRecord], options.caFile);
  }

  /** Adds (or replaces) a CA and saves the hierarchy: a second hierarchy, a CA's status (cas/hierarchy.ts). */
  registerCa(record: CaRecord): void {
    this.cas.set(record.identifier, record);
    this.materials.set(record.identifier, {
      certificatePem: record.certificatePem,
      privateKey: createPrivateKey(record.privateKeyPem),
    });
    if (this.caFile) writeFileSync(this.caFile, JSON.stringify([...this.cas.values()], null, 2), { mode: 0o600 });
  }

  get root(): CaRecord {
    return [...this.cas.values()].find((c) => c.certificateType === 'ROOT')!;
  }

  get subCa(): CaRecord {
    return [...this.cas.values()].find((c) => c.certificateType === 'SUB_ROOT')!;
  }

  caCertificates(): CaRecord[] {
    return [...this.cas.values()];
  }

  getCa(identifier: string): CaRecord | undefined {
    return this.cas.get(identifier);
  }

  /** Key and certificate of a CA, for signing (the seed signs its server certificate with the root, as the manual does). */
  caMaterial(identifier: string): CaMaterial | undefined {
    return this.materials.get(identifier);
  }

  caKeyFamily(identifier: string): 'RSA' | 'ECC' {
    return this.materials.get(identifier)?.privateKey.asymmetricKeyType === 'ec' ? 'ECC' : 'RSA';
  }

  /** The CA's certificate followed by its issuers up to the root. */
  caChainPems(identifier: string): string[] {
    const chain: string[] = [];
    let ca = this.cas.get(identifier);
    while (ca) {
      chain.push(ca.certificatePem);
      ca = ca.parentIdentifier ? this.cas.get(ca.parentIdentifier) : undefined;
    }
    return chain;
  }

  getClientCertificate(identifier: string): ClientCertificateRecord | undefined {
    return this.clientCertificates.get(identifier);
  }

  clientCertificateList(): ClientCertificateRecord[] {
    return [...this.clientCertificates.values()];
  }

  revoke(identifier: string): ClientCertificateRecord {
    const record = this.clientCertificates.get(identifier);
    if (!record) throw new ApiError(404, 'NotFound.Certificate', `The certificate ${identifier} does not exist.`);
    if (record.status === 'REVOKE') return record;
    const next: ClientCertificateRecord = { ...record, status: 'REVOKE', revokedAt: Date.now() };
    this.clientCertificates.put(identifier, next);
    return next;
  }

  /** Issues one client certificate; the same ClientToken returns the first certificate again (no second issue). */
  issue(input: IssueInput): Promise<ClientCertificateRecord> {
    const token = input.clientToken;
    if (token) {
      const existing = this.byToken.get(token);
      if (existing) return Promise.resolve(this.clientCertificates.get(existing)!);
      const running = this.inflight.get(token);
      if (running) return running;
    }
    const work = this.sign(input);
    if (token) {
      this.inflight.set(token, work);
      void work.then(
        (r) => (this.byToken.set(token, r.identifier), this.inflight.delete(token)),
        () => this.inflight.delete(token),
      );
    }
    return work;
  }

  private checkParent(parentIdentifier: string): {
    record: CaRecord;
    material: CaMaterial;
    certificate: X509Certificate;
  } {
    const record = this.cas.get(parentIdentifier);
    if (!record)
      throw new ApiError(404, 'NotFound.ParentIdentifier', `The CA certificate ${parentIdentifier} does not exist.`);
    if (record.certificateType !== 'SUB_ROOT') {
      throw new ApiError(
        400,
        'InvalidParameter.ParentIdentifier',
        'Only a subordinate CA certificate can issue client certificates.',
      );
    }
    return {
      record,
      material: this.materials.get(parentIdentifier)!,
      certificate: new X509Certificate(record.certificatePem),
    };
  }

  private sans(sanType: number | undefined, sanValue: string | undefined): Partial<SubjectAltNames> {
    if (sanType === undefined && sanValue === undefined) return {};
    if (sanType === undefined || !SAN_TYPES[sanType])
      throw new ApiError(400, 'InvalidParameter', 'The specified parameter "SanType" is not valid.');
    const values = (sanValue ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (values.length === 0)
      throw new ApiError(400, 'InvalidParameter', 'The specified parameter "SanValue" is not valid.');
    return { [SAN_TYPES[sanType]]: values };
  }

  private async sign(input: IssueInput): Promise<ClientCertificateRecord> {
    const parent = this.checkParent(input.parentIdentifier);
    if (input.notAfter.getTime() <= input.notBefore.getTime()) {
      throw new ApiError(
        400,
        'InvalidParameter',
        'The specified parameter "AfterTime" is not valid. It must be later than BeforeTime.',
      );
    }
    if (input.notAfter.getTime() > Date.parse(parent.certificate.validTo)) {
      throw new ApiError(
        400,
        'InvalidParameter.Validity',
        'The validity period of the certificate cannot exceed that of the issuing CA certificate.',
      );
    }
    const sans = this.sans(input.sanType, input.sanValue);

    let publicKey: KeyObject;
    let commonName: string;
    let privateKeyPem: string | undefined;
    try {
      if (input.csrPem) {
        const csr = await parseCsr(input.csrPem);
        publicKey = csr.publicKey;
        commonName = csr.commonName; // CAS takes the CN from the CSR and ignores CommonName
      } else {
        if (!input.commonName)
          throw new ApiError(
            400,
            'MissingParameter',
            'The input parameter "CommonName" that is mandatory for processing this request is not supplied.',
          );
        const keyPair = await generateKeyPair(input.keyAlgorithm ?? 'RSA_2048');
        publicKey = keyPair.publicKey;
        commonName = input.commonName;
        privateKeyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      }
    } catch (err) {
      if (err instanceof PkiError)
        throw new ApiError(400, 'InvalidParameter.Csr', `The CSR is not valid: ${err.message} (${err.code})`);
      throw err;
    }

    let certificatePem: string;
    try {
      certificatePem = await signClientCertificate({
        publicKey,
        commonName,
        sans,
        notBefore: input.notBefore,
        notAfter: input.notAfter,
        issuer: parent.material,
      });
    } catch (err) {
      if (err instanceof PkiError)
        throw new ApiError(
          400,
          'InvalidParameter',
          `The certificate request is not valid: ${err.message} (${err.code})`,
        );
      throw err;
    }
    // Native parsing only: this runs once per issuance and the renewal benchmark issues thousands.
    const certificate = new X509Certificate(certificatePem);
    const keyAlgorithm = keyAlgorithmOf(publicKey) ?? 'unknown';
    const record: ClientCertificateRecord = {
      identifier: pcaIdentifier(),
      parentIdentifier: input.parentIdentifier,
      serialNumber: certificate.serialNumber.toLowerCase(),
      commonName,
      sanType: input.sanType,
      sanValue: input.sanValue,
      certificatePem,
      notBefore: Date.parse(certificate.validFrom),
      notAfter: Date.parse(certificate.validTo),
      keyAlgorithm,
      keySize: publicKey.asymmetricKeyDetails?.modulusLength ?? (keyAlgorithm === 'EC_P384' ? 384 : 256),
      sha2: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
      md5: createHash('md5').update(certificate.raw).digest('hex'),
      status: 'ISSUE',
      aliasName: input.aliasName,
      clientToken: input.clientToken,
      privateKeyPem,
      createdAt: Date.now(),
    };
    this.clientCertificates.put(record.identifier, record);
    return record;
  }
}
