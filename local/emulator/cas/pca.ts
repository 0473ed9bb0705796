/**
 * The private CA (CAS 2020-06-30): a root and one subordinate CA made on first start and kept in the data dir,
 * and the client certificates the sub-CA issues. It really signs (shared/pki) and refuses what CAS documents it
 * refuses (validity beyond the issuing CA, unknown or root parent, bad CSRs, a client key of another family than the
 * sub-CA's). Like CAS, every create issues a NEW certificate: CreateClientCertificateWithCsr has no idempotency token
 * (alibabacloud-go/cas-20200630 client/create_client_certificate_with_csr_request_model.go). Where the models are
 * silent the behaviour comes from ./assumed.ts.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyAlgorithm as PkiKeyType, SubjectAltNames } from '../../../shared/domain/client-certificate.js';
import {
  PkiError,
  createCertificateAuthority,
  generateKeyPair,
  parseCsr,
  signClientCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import type { JsonlCollection } from '../persistence.js';
import { ApiError } from '../rpc/api-error.js';
import {
  ALREADY_REVOKED,
  BACKDATE_TOLERANCE_MS,
  BEFORE_TIME_IN_PAST,
  CERTIFICATE_NOT_FOUND,
  CUSTOM_IDENTIFIER_TAKEN,
  DEFAULT_CUSTOM_IDENTIFIER_REPEATS,
  KEY_FAMILY_MISMATCH,
  LIST_CERT_FILTERS_BY_PARENT,
  type CustomIdentifierRepeats,
} from './assumed.js';

/**
 * CAS's key algorithm names (`Algorithm`: RSA_1024, RSA_2048, RSA_4096, ECC_256, ECC_384, ECC_512, SM2_256; the
 * model of CreateClientCertificateWithCsr), for the ones the emulator can make keys of.
 */
export const CAS_ALGORITHMS = ['RSA_2048', 'RSA_4096', 'ECC_256', 'ECC_384'] as const;
export type CasAlgorithm = (typeof CAS_ALGORITHMS)[number];

/** Which key the signing library makes for a CAS algorithm name (the library's own vocabulary). */
const KEY_TYPE_OF: Record<CasAlgorithm, PkiKeyType> = {
  RSA_2048: 'RSA_2048',
  RSA_4096: 'RSA_4096',
  ECC_256: 'EC_P256',
  ECC_384: 'EC_P384',
};

/** `<family>_<key length>` as CAS names it (DescribeClientCertificate `FullAlgorithm`), read from a public key. */
export function casAlgorithmOfKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA_${details.modulusLength ?? 0}`;
  if (key.asymmetricKeyType === 'ec') {
    const bits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
    return `ECC_${bits[details.namedCurve ?? ''] ?? 0}`;
  }
  return 'UNKNOWN';
}

/** `RSA`, `ECC` (DescribeClientCertificate `Algorithm`: RSA | ECC | SM2). */
export function casFamilyOf(casAlgorithm: string): string {
  return casAlgorithm.split('_')[0];
}

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
  /** CAS's name, e.g. `ECC_256` (`FullAlgorithm`). */
  keyAlgorithm: string;
  keySize: number;
  sha2: string;
  md5: string;
  status: 'ISSUE' | 'REVOKE';
  revokedAt?: number;
  aliasName?: string;
  customIdentifier?: string;
  /** Last change (issue or revoke), in ms: what ListCert's AfterDate / BeforeDate filter on. */
  modifiedAt?: number;
  /** Only for CreateClientCertificate (the CA made the key); released encrypted by DescribeCertificatePrivateKey. */
  privateKeyPem?: string;
  createdAt: number;
}

export interface IssueInput {
  parentIdentifier: string;
  /** CSR mode when set; otherwise the CA makes a key of `keyAlgorithm`. */
  csrPem?: string;
  commonName?: string;
  /** CAS's name (`Algorithm`): required when the CA makes the key, checked against the CSR's key otherwise. */
  algorithm?: CasAlgorithm;
  sanType?: number;
  sanValue?: string;
  notBefore: Date;
  notAfter: Date;
  aliasName?: string;
  customIdentifier?: string;
}

const SAN_TYPES: Record<number, keyof SubjectAltNames> = { 1: 'email', 2: 'dns', 6: 'uri', 7: 'ip' };

/** What CAS answers for a request our signer refuses (a PkiError); anything else passes through unchanged. */
export function invalidCertificateRequest(err: unknown): unknown {
  return err instanceof PkiError
    ? new ApiError(400, 'InvalidParameter', `The certificate request is not valid: ${err.message} (${err.code})`)
    : err;
}

export function pcaIdentifier(): string {
  return randomBytes(16).toString('hex');
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export class PrivateCa {
  private readonly cas = new Map<string, CaRecord>();
  private readonly materials = new Map<string, CaMaterial>();
  /** ASSUMED behaviour on a repeated CustomIdentifier (./assumed.ts); tests switch it. */
  customIdentifierRepeats: CustomIdentifierRepeats = DEFAULT_CUSTOM_IDENTIFIER_REPEATS;
  /** ASSUMED (./assumed.ts): ListCert applies its ParentIdentifier filter. */
  listCertFiltersByParent = LIST_CERT_FILTERS_BY_PARENT;

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
  }

  /** Loads the CA hierarchy from `caFile`, or makes root (10 years) -> sub-CA (5 years) and saves it there. */
  static async open(options: {
    caFile?: string;
    clientCertificates: JsonlCollection<ClientCertificateRecord>;
    /** CAS's name of the root's and sub-CA's key algorithm (default RSA_2048). */
    keyAlgorithm?: CasAlgorithm;
  }): Promise<PrivateCa> {
    if (options.caFile && existsSync(options.caFile)) {
      const records = JSON.parse(readFileSync(options.caFile, 'utf8')) as CaRecord[];
      return new PrivateCa(options.clientCertificates, records, options.caFile);
    }
    const now = Date.now();
    const keyAlgorithm = KEY_TYPE_OF[options.keyAlgorithm ?? 'RSA_2048'];
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

  /** Another sub-CA under the root (tests: certificates that are not ours, under the same account). Not persisted. */
  async addSubordinateCa(commonName: string): Promise<CaRecord> {
    const root = this.root;
    const rootMaterial = this.materials.get(root.identifier)!;
    const algorithm = casAlgorithmOfKey(createPublicKey(rootMaterial.privateKey)) as CasAlgorithm;
    const sub = await createCertificateAuthority({
      commonName,
      organization: 'nlb-mtls-autopilot',
      keyAlgorithm: KEY_TYPE_OF[algorithm] ?? 'RSA_2048',
      notAfter: new Date(Date.now() + 2 * YEAR_MS),
      issuer: rootMaterial,
      pathLength: 0,
    });
    const record: CaRecord = {
      identifier: pcaIdentifier(),
      parentIdentifier: root.identifier,
      certificateType: 'SUB_ROOT',
      commonName,
      certificatePem: sub.certificatePem,
      privateKeyPem: sub.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      createdAt: Date.now(),
    };
    this.cas.set(record.identifier, record);
    this.materials.set(record.identifier, sub);
    return record;
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

  /** CAS's name of a CA's own key, e.g. `ECC_256`. */
  caAlgorithm(identifier: string): string {
    const material = this.materials.get(identifier);
    return material ? casAlgorithmOfKey(createPublicKey(material.privateKey)) : 'UNKNOWN';
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

  /** Revokes; a second revoke is refused (ASSUMED code, ./assumed.ts), as callers must cope with either answer. */
  revoke(identifier: string): ClientCertificateRecord {
    const record = this.clientCertificates.get(identifier);
    if (!record)
      throw new ApiError(
        CERTIFICATE_NOT_FOUND.status,
        CERTIFICATE_NOT_FOUND.code,
        `The certificate ${identifier} does not exist.`,
      );
    if (record.status === 'REVOKE')
      throw new ApiError(ALREADY_REVOKED.status, ALREADY_REVOKED.code, ALREADY_REVOKED.message);
    const now = Date.now();
    const next: ClientCertificateRecord = { ...record, status: 'REVOKE', revokedAt: now, modifiedAt: now };
    this.clientCertificates.put(identifier, next);
    return next;
  }

  /** Issues one NEW client certificate per call (no idempotency on this action, as in CAS). */
  issue(input: IssueInput): Promise<ClientCertificateRecord> {
    const custom = input.customIdentifier;
    if (
      custom &&
      this.customIdentifierRepeats === 'refuse' &&
      this.clientCertificateList().some((c) => c.customIdentifier === custom)
    )
      return Promise.reject(
        new ApiError(CUSTOM_IDENTIFIER_TAKEN.status, CUSTOM_IDENTIFIER_TAKEN.code, CUSTOM_IDENTIFIER_TAKEN.message),
      );
    return this.sign(input);
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
    if (input.notBefore.getTime() < Date.now() - BACKDATE_TOLERANCE_MS)
      throw new ApiError(BEFORE_TIME_IN_PAST.status, BEFORE_TIME_IN_PAST.code, BEFORE_TIME_IN_PAST.message);
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
        const keyPair = await generateKeyPair(KEY_TYPE_OF[input.algorithm ?? 'RSA_2048']);
        publicKey = keyPair.publicKey;
        commonName = input.commonName;
        privateKeyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      }
    } catch (err) {
      if (err instanceof PkiError)
        throw new ApiError(400, 'InvalidParameter.Csr', `The CSR is not valid: ${err.message} (${err.code})`);
      throw err;
    }

    // Documented: "the algorithm of the client certificate must be the same as that of the sub-CA certificate, but
    // the key length can be different" (Algorithm, CreateClientCertificateWithCsr).
    const family = casFamilyOf(casAlgorithmOfKey(publicKey));
    const requested = input.algorithm ? casFamilyOf(input.algorithm) : family;
    if (family !== this.caKeyFamily(parent.record.identifier) || requested !== family)
      throw new ApiError(KEY_FAMILY_MISMATCH.status, KEY_FAMILY_MISMATCH.code, KEY_FAMILY_MISMATCH.message);

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
      throw invalidCertificateRequest(err);
    }
    // Native parsing only: this runs once per issuance and the renewal benchmark issues thousands.
    const certificate = new X509Certificate(certificatePem);
    const keyAlgorithm = casAlgorithmOfKey(publicKey);
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
      keySize: Number(keyAlgorithm.split('_')[1]) || 0,
      sha2: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
      md5: createHash('md5').update(certificate.raw).digest('hex'),
      status: 'ISSUE',
      aliasName: input.aliasName,
      ...(input.customIdentifier ? { customIdentifier: input.customIdentifier } : {}),
      privateKeyPem,
      createdAt: Date.now(),
      modifiedAt: Date.now(),
    };
    this.clientCertificates.put(record.identifier, record);
    return record;
  }
}
