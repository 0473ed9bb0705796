/** CAS 2020-06-30 (private CA) actions, with the request and response field names of the published SDK models. */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyAlgorithm } from '../../../shared/domain/client-certificate.js';
import { ApiError, invalidParameter, missingParameter } from '../rpc/api-error.js';
import type { RpcParams } from '../rpc/params.js';
import type { RpcProduct } from '../rpc/server.js';
import type { CaRecord, ClientCertificateRecord, IssueInput, PrivateCa } from './pca.js';

const DAY_MS = 24 * 3600 * 1000;

/** CAS algorithm names for the keys the CA makes itself (CreateClientCertificate). */
const ALGORITHMS: Record<string, KeyAlgorithm> = {
  RSA_2048: 'RSA_2048',
  RSA_3072: 'RSA_3072',
  RSA_4096: 'RSA_4096',
  ECC_256: 'EC_P256',
  ECC_384: 'EC_P384',
};

function algorithmFamily(keyAlgorithm: string): string {
  return keyAlgorithm.startsWith('EC_') ? 'ECC' : keyAlgorithm.startsWith('RSA_') ? 'RSA' : 'UNKNOWN';
}

/** Days | Months | Years from now, or BeforeTime + AfterTime (unix seconds), as CAS reads them. */
export function readValidity(p: RpcParams, now = new Date()): { notBefore: Date; notAfter: Date } {
  const before = p.int('BeforeTime', { min: 0 });
  const after = p.int('AfterTime', { min: 0 });
  if (before !== undefined || after !== undefined) {
    if (before === undefined || after === undefined)
      throw invalidParameter(
        before === undefined ? 'BeforeTime' : 'AfterTime',
        'BeforeTime and AfterTime must be both empty or both specified.',
      );
    return { notBefore: new Date(before * 1000), notAfter: new Date(after * 1000) };
  }
  const days = p.int('Days', { min: 1 });
  const months = p.int('Months', { min: 1 });
  const years = p.int('Years', { min: 1 });
  const notAfter = new Date(now);
  if (days !== undefined) notAfter.setTime(now.getTime() + days * DAY_MS);
  else if (months !== undefined) notAfter.setUTCMonth(notAfter.getUTCMonth() + months);
  else if (years !== undefined) notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  else throw missingParameter('Days');
  return { notBefore: now, notAfter };
}

function subjectDn(pem: string): string {
  return new X509Certificate(pem).subject.split('\n').reverse().join(',');
}

/** CAS answers `Sans` as a JSON array string: `[{"Type":2,"Value":"a.example"}]` (DescribeClientCertificate model). */
function sansJson(r: ClientCertificateRecord): string {
  const values = (r.sanValue ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return JSON.stringify(r.sanType === undefined ? [] : values.map((Value) => ({ Type: r.sanType, Value })));
}

/** The fields of DescribeClientCertificate.Certificate; a ListClientCertificate item has no CertChain. */
function clientCertificateView(
  pca: PrivateCa,
  r: ClientCertificateRecord,
  form: 'describe' | 'list' = 'describe',
): Record<string, unknown> {
  return {
    Identifier: r.identifier,
    ParentIdentifier: r.parentIdentifier,
    SerialNumber: r.serialNumber,
    Status: r.status,
    CertificateType: 'CLIENT',
    CommonName: r.commonName,
    Sans: sansJson(r),
    SubjectDN: subjectDn(r.certificatePem),
    BeforeDate: r.notBefore,
    AfterDate: r.notAfter,
    Days: Math.round((r.notAfter - r.notBefore) / DAY_MS),
    Algorithm: algorithmFamily(r.keyAlgorithm),
    KeySize: r.keySize,
    SignAlgorithm: pca.caKeyFamily(r.parentIdentifier) === 'ECC' ? 'SHA256WITHECDSA' : 'SHA256WITHRSA',
    Sha2: r.sha2,
    Md5: r.md5,
    X509Certificate: r.certificatePem,
    ...(form === 'describe' ? { CertChain: pca.caChainPems(r.parentIdentifier).join('') } : {}),
    ...(r.aliasName ? { AliasName: r.aliasName } : {}),
  };
}

/** DescribeCACertificate.Certificate; a DescribeCACertificateList item has no chain and no counts. */
function caView(pca: PrivateCa, ca: CaRecord, form: 'describe' | 'list' = 'describe'): Record<string, unknown> {
  const cert = new X509Certificate(ca.certificatePem);
  const issued = pca.clientCertificateList().filter((c) => c.parentIdentifier === ca.identifier).length;
  const family = pca.caKeyFamily(ca.identifier);
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  return {
    Identifier: ca.identifier,
    ...(ca.parentIdentifier ? { ParentIdentifier: ca.parentIdentifier } : {}),
    CertificateType: ca.certificateType,
    Status: ca.status ?? 'ISSUE',
    CommonName: ca.commonName,
    SubjectDN: subjectDn(ca.certificatePem),
    SerialNumber: cert.serialNumber.toLowerCase(),
    BeforeDate: notBefore,
    AfterDate: notAfter,
    Years: Math.round((notAfter - notBefore) / (365 * DAY_MS)),
    Algorithm: family,
    KeySize: cert.publicKey.asymmetricKeyDetails?.modulusLength ?? (family === 'ECC' ? 256 : 0),
    SignAlgorithm: family === 'ECC' ? 'SHA256WITHECDSA' : 'SHA256WITHRSA',
    Sha2: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    X509Certificate: ca.certificatePem,
    ...(form === 'describe'
      ? {
          CaCertChain: pca.caChainPems(ca.identifier).join(''),
          CertIssuedCount: issued,
          CertTotalCount: 100_000,
          CertRemainingCount: 100_000 - issued,
        }
      : {}),
  };
}

function paging(p: RpcParams): { currentPage: number; showSize: number } {
  return {
    currentPage: p.int('CurrentPage', { min: 1 }) ?? 1,
    showSize: p.int('ShowSize', { min: 1, max: 1000 }) ?? 20,
  };
}

function issueInput(p: RpcParams, csr: boolean): IssueInput {
  const parentIdentifier = p.requiredString('ParentIdentifier');
  const validity = readValidity(p);
  const sanType = p.int('SanType');
  const algorithm = p.string('Algorithm');
  let keyAlgorithm: KeyAlgorithm | undefined;
  if (!csr) {
    if (!algorithm) throw missingParameter('Algorithm');
    keyAlgorithm = ALGORITHMS[algorithm];
    if (!keyAlgorithm) throw invalidParameter('Algorithm', `Supported: ${Object.keys(ALGORITHMS).join(', ')}.`);
  }
  return {
    parentIdentifier,
    csrPem: csr ? p.requiredString('Csr') : undefined,
    commonName: csr ? undefined : p.requiredString('CommonName'),
    keyAlgorithm,
    sanType,
    sanValue: p.string('SanValue'),
    ...validity,
    aliasName: p.string('AliasName'),
    // CreateClientCertificateWithCsr has no ClientToken (contract); until the exactly-once work settles what a
    // repeated CustomIdentifier does (undocumented), the emulator keeps answering a repeat with the first certificate.
    clientToken: csr ? p.string('CustomIdentifier') : p.string('ClientToken'),
  };
}

export function pcaProduct(pca: PrivateCa): RpcProduct {
  const mustGet = (identifier: string) => {
    const r = pca.getClientCertificate(identifier);
    if (!r) throw new ApiError(404, 'NotFound.Certificate', `The certificate ${identifier} does not exist.`);
    return r;
  };
  const issued = (r: ClientCertificateRecord) => ({
    Identifier: r.identifier,
    SerialNumber: r.serialNumber,
    X509Certificate: r.certificatePem,
    CertificateChain: pca.caChainPems(r.parentIdentifier).join(''),
  });
  return {
    product: 'cas',
    version: '2020-06-30',
    hostId: 'cas.aliyuncs.com',
    actions: {
      CreateClientCertificateWithCsr: async (p) => issued(await pca.issue(issueInput(p, true))),
      CreateClientCertificate: async (p) => issued(await pca.issue(issueInput(p, false))),

      DescribeCertificatePrivateKey: (p) => {
        const r = mustGet(p.requiredString('Identifier'));
        const code = p.requiredString('EncryptedCode');
        if (!r.privateKeyPem)
          throw new ApiError(
            400,
            'InvalidParameter.Identifier',
            'The CA does not hold the private key of this certificate (it was issued from a CSR).',
          );
        const encrypted = createPrivateKey(r.privateKeyPem).export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase: code,
        });
        return { EncryptedData: encrypted.toString() };
      },

      DescribeClientCertificate: (p) => ({
        Certificate: clientCertificateView(pca, mustGet(p.requiredString('Identifier'))),
      }),

      DescribeClientCertificateStatus: (p) => {
        const ids = p
          .requiredString('Identifier')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        // Items carry no Identifier (response model): they come back in the order asked.
        return {
          CertificateStatus: ids.map((id) => {
            const r = pca.getClientCertificate(id);
            if (!r) return { Status: 'unknown' };
            return {
              SerialNumber: r.serialNumber,
              Status: r.status === 'REVOKE' ? 'revoked' : 'good',
              ...(r.revokedAt ? { RevokeTime: r.revokedAt } : {}),
            };
          }),
        };
      },

      ListClientCertificate: (p) => {
        const { currentPage, showSize } = paging(p);
        const all = pca.clientCertificateList().sort((a, b) => b.createdAt - a.createdAt);
        return {
          CertificateList: all
            .slice((currentPage - 1) * showSize, currentPage * showSize)
            .map((r) => clientCertificateView(pca, r, 'list')),
          TotalCount: all.length,
          PageCount: Math.ceil(all.length / showSize),
          CurrentPage: currentPage,
          ShowSize: showSize,
        };
      },

      CreateRevokeClientCertificate: (p) => {
        pca.revoke(p.requiredString('Identifier'));
        return {};
      },

      DescribeCACertificate: (p) => {
        const id = p.requiredString('Identifier');
        const ca = pca.getCa(id);
        if (!ca) throw new ApiError(404, 'NotFound.Certificate', `The CA certificate ${id} does not exist.`);
        return { Certificate: caView(pca, ca) };
      },

      DescribeCACertificateList: (p) => {
        const { currentPage, showSize } = paging(p);
        const type = p.string('CertType');
        const all = pca.caCertificates().filter((c) => !type || c.certificateType === type);
        return {
          CertificateList: all
            .slice((currentPage - 1) * showSize, currentPage * showSize)
            .map((c) => caView(pca, c, 'list')),
          TotalCount: all.length,
          PageCount: Math.ceil(all.length / showSize),
          CurrentPage: currentPage,
          ShowSize: showSize,
        };
      },
    },
  };
}
