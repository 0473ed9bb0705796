/**
 * CAS 2020-06-30 (private CA) actions, with the request and response field names of the published SDK models:
 * alibabacloud-go/cas-20200630 at cbbe1e07ac62eb6e4bd16a557e1522d86f931886 (2026-08-18), `client/*_model.go`, and
 * aliyun/alibabacloud-typescript-sdk `cas-20200630/src/models/*`. Undocumented behaviour comes from ./assumed.ts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ApiError, invalidParameter, missingParameter } from '../rpc/api-error.js';
import type { RpcParams } from '../rpc/params.js';
import type { RpcProduct } from '../rpc/server.js';
import {
  CERTIFICATE_NOT_FOUND,
  IMMEDIATELY_ZERO_KEEPS_IDENTIFIER,
  LIST_CERT_DATE_OFFSET_MS,
  LIST_CERT_MAX_RESULTS,
} from './assumed.js';
import {
  CAS_ALGORITHMS,
  casFamilyOf,
  type CaRecord,
  type CasAlgorithm,
  type ClientCertificateRecord,
  type IssueInput,
  type PrivateCa,
} from './pca.js';

const DAY_MS = 24 * 3600 * 1000;

/** Every `Algorithm` value the model of CreateClientCertificateWithCsr lists. */
const DOCUMENTED_ALGORITHMS = ['RSA_1024', 'RSA_2048', 'RSA_4096', 'ECC_256', 'ECC_384', 'ECC_512', 'SM2_256'];

/** SanType -> the `Type` numbers DescribeClientCertificate.Sans uses (1 email, 2 DNS, 6 URI, 7 IP). */
const SAN_TYPES = new Set([1, 2, 6, 7]);

/**
 * Days | Months | Years, or BeforeTime + AfterTime (unix seconds), as the model describes them: "If you set the
 * Days, BeforeTime, and AfterTime parameters at the same time, the validity period ... is determined by Days";
 * BeforeTime and AfterTime "must both be empty or both be specified".
 */
export function readValidity(p: RpcParams, now = new Date()): { notBefore: Date; notAfter: Date } {
  const before = p.int('BeforeTime', { min: 0 });
  const after = p.int('AfterTime', { min: 0 });
  if ((before === undefined) !== (after === undefined))
    throw invalidParameter(
      before === undefined ? 'BeforeTime' : 'AfterTime',
      'BeforeTime and AfterTime must be both empty or both specified.',
    );
  const days = p.int('Days', { min: 1 });
  const months = p.int('Months', { min: 1 });
  const years = p.int('Years', { min: 1 });
  if (days === undefined && months === undefined && years === undefined) {
    if (before === undefined || after === undefined) throw missingParameter('Days');
    return { notBefore: new Date(before * 1000), notAfter: new Date(after * 1000) };
  }
  const notAfter = new Date(now);
  if (days !== undefined) notAfter.setTime(now.getTime() + days * DAY_MS);
  else if (months !== undefined) notAfter.setUTCMonth(notAfter.getUTCMonth() + months);
  else if (years !== undefined) notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  return { notBefore: now, notAfter };
}

function subjectDn(pem: string): string {
  return new X509Certificate(pem).subject.split('\n').reverse().join(',');
}

/** `Sans`: "a string that is converted from a JSON array" of `{Type, Value}` (DescribeClientCertificate model). */
function sansJson(r: ClientCertificateRecord): string {
  if (r.sanType === undefined || !r.sanValue) return '[]';
  const values = r.sanValue
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return JSON.stringify(values.map((Value) => ({ Type: r.sanType, Value })));
}

/** A client certificate as ListClientCertificate lists it (its model has no chain, no FullAlgorithm). */
function clientCertificateItem(pca: PrivateCa, r: ClientCertificateRecord): Record<string, unknown> {
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
    Algorithm: casFamilyOf(r.keyAlgorithm),
    KeySize: r.keySize,
    SignAlgorithm: pca.caKeyFamily(r.parentIdentifier) === 'ECC' ? 'SHA256WITHECDSA' : 'SHA256WITHRSA',
    Sha2: r.sha2,
    Md5: r.md5,
    X509Certificate: r.certificatePem,
    ...(r.customIdentifier ? { CustomIdentifier: r.customIdentifier } : {}),
    ...(r.aliasName ? { AliasName: r.aliasName } : {}),
  };
}

/** As DescribeClientCertificate answers: the list item plus the chain and the full algorithm name. */
function clientCertificateView(pca: PrivateCa, r: ClientCertificateRecord): Record<string, unknown> {
  return {
    ...clientCertificateItem(pca, r),
    FullAlgorithm: r.keyAlgorithm,
    // The model's example: the certificate, then the sub-CA, then the root.
    CertChain: [r.certificatePem, ...pca.caChainPems(r.parentIdentifier)].join(''),
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
    // DescribeCACertificate has FullAlgorithm; a DescribeCACertificateList item does not (models).
    ...(form === 'describe' ? { FullAlgorithm: pca.caAlgorithm(ca.identifier) } : {}),
    KeySize: Number(pca.caAlgorithm(ca.identifier).split('_')[1]) || 0,
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

function readAlgorithm(p: RpcParams, required: boolean): CasAlgorithm | undefined {
  const algorithm = p.string('Algorithm');
  if (!algorithm) {
    if (required) throw missingParameter('Algorithm');
    return undefined;
  }
  if (!DOCUMENTED_ALGORITHMS.includes(algorithm))
    throw invalidParameter('Algorithm', `Valid values: ${DOCUMENTED_ALGORITHMS.join(', ')}.`);
  if (!(CAS_ALGORITHMS as readonly string[]).includes(algorithm)) {
    // Documented, but the emulator cannot make or check such keys.
    throw invalidParameter('Algorithm', `The emulator supports ${CAS_ALGORITHMS.join(', ')}.`);
  }
  return algorithm as CasAlgorithm;
}

function issueInput(p: RpcParams, csr: boolean): IssueInput {
  const parentIdentifier = p.requiredString('ParentIdentifier');
  const validity = readValidity(p);
  const sanType = p.int('SanType');
  if (sanType !== undefined && !SAN_TYPES.has(sanType))
    throw invalidParameter('SanType', 'The emulator issues SanType 1, 2, 6 or 7.');
  return {
    parentIdentifier,
    csrPem: csr ? p.requiredString('Csr') : undefined,
    commonName: csr ? undefined : p.requiredString('CommonName'),
    algorithm: readAlgorithm(p, !csr),
    sanType,
    sanValue: p.string('SanValue'),
    ...validity,
    aliasName: p.string('AliasName'),
    customIdentifier: p.string('CustomIdentifier'),
  };
}

/** What CreateClientCertificate[WithCsr] answers for `Immediately` 0 (default), 1 and 2. */
function issuedAnswer(pca: PrivateCa, r: ClientCertificateRecord, immediately: number): Record<string, unknown> {
  const names = IMMEDIATELY_ZERO_KEEPS_IDENTIFIER ? { Identifier: r.identifier, SerialNumber: r.serialNumber } : {};
  if (immediately === 0) return names;
  return {
    Identifier: r.identifier,
    SerialNumber: r.serialNumber,
    X509Certificate: r.certificatePem,
    ...(immediately === 2 ? { CertificateChain: pca.caChainPems(r.parentIdentifier).join('') } : {}),
  };
}

/** ListCert's `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-dd`) text, in the zone ./assumed.ts names. */
function listCertDate(p: RpcParams, name: string): number | undefined {
  const text = p.string(name);
  if (!text) return undefined;
  const m = text.match(/^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/);
  if (!m) throw invalidParameter(name, 'Expected yyyy-MM-dd HH:mm:ss.');
  const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return utc - LIST_CERT_DATE_OFFSET_MS;
}

function listCertDateText(ms: number): string {
  return new Date(ms + LIST_CERT_DATE_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** NextToken: where the previous page ended in (modification time, identifier) order, so paging survives changes. */
function encodeListToken(r: ClientCertificateRecord): string {
  return Buffer.from(JSON.stringify([r.modifiedAt ?? r.createdAt, r.identifier])).toString('base64url');
}

function decodeListToken(token: string): [number, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at === 'number' && typeof id === 'string') return [at, id];
  } catch {
    // refused below
  }
  throw invalidParameter('NextToken');
}

function listCertItem(r: ClientCertificateRecord): Record<string, unknown> {
  return {
    Identifier: r.identifier,
    SerialNumber: r.serialNumber,
    CommonName: r.commonName,
    Status: r.status,
    CertificateType: 'CLIENT',
    SubjectDn: subjectDn(r.certificatePem),
    Algorithm: casFamilyOf(r.keyAlgorithm),
    BeforeTime: r.notBefore,
    AfterTime: r.notAfter,
    BeforeDate: listCertDateText(r.notBefore),
    AfterDate: listCertDateText(r.notAfter),
    ...(r.customIdentifier ? { CustomIdentifier: r.customIdentifier } : {}),
    ...(r.aliasName ? { AliasName: r.aliasName } : {}),
  };
}

export function pcaProduct(pca: PrivateCa): RpcProduct {
  const mustGet = (identifier: string) => {
    const r = pca.getClientCertificate(identifier);
    if (!r)
      throw new ApiError(
        CERTIFICATE_NOT_FOUND.status,
        CERTIFICATE_NOT_FOUND.code,
        `The certificate ${identifier} does not exist.`,
      );
    return r;
  };
  const immediately = (p: RpcParams) => p.int('Immediately', { min: 0, max: 2 }) ?? 0;
  return {
    product: 'cas',
    version: '2020-06-30',
    hostId: 'cas.aliyuncs.com',
    actions: {
      CreateClientCertificateWithCsr: async (p) =>
        issuedAnswer(pca, await pca.issue(issueInput(p, true)), immediately(p)),
      CreateClientCertificate: async (p) => issuedAnswer(pca, await pca.issue(issueInput(p, false)), immediately(p)),

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

      // Items carry SerialNumber, Status and RevokeTime only: no Identifier (model), so they follow the ask's order.
      DescribeClientCertificateStatus: (p) => {
        const ids = p
          .requiredString('Identifier')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
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
        const identifier = p.string('Identifier');
        const all = pca
          .clientCertificateList()
          .filter((r) => !identifier || r.identifier === identifier)
          .sort((a, b) => b.createdAt - a.createdAt);
        return {
          CertificateList: all
            .slice((currentPage - 1) * showSize, currentPage * showSize)
            .map((r) => clientCertificateItem(pca, r)),
          TotalCount: all.length,
          PageCount: Math.ceil(all.length / showSize),
          CurrentPage: currentPage,
          ShowSize: showSize,
        };
      },

      // Filters on the MODIFICATION time (AfterDate / BeforeDate), type, status and issuing CA; NextToken paging.
      ListCert: (p) => {
        const type = p.string('Type');
        if (type && !['SERVER', 'CLIENT', 'END_ENTITY'].includes(type)) throw invalidParameter('Type');
        const status = p.string('Status');
        if (status && !['ISSUE', 'REVOKE'].includes(status)) throw invalidParameter('Status');
        const parent = p.string('ParentIdentifier');
        const after = listCertDate(p, 'AfterDate');
        const before = listCertDate(p, 'BeforeDate');
        const max = Math.min(p.int('MaxResults', { min: 1 }) ?? 50, LIST_CERT_MAX_RESULTS);
        const token = p.string('NextToken');
        const from = token ? decodeListToken(token) : undefined;
        const modified = (r: ClientCertificateRecord) => r.modifiedAt ?? r.createdAt;
        // The emulator holds client certificates only: Type SERVER or END_ENTITY lists nothing.
        const all = (!type || type === 'CLIENT' ? pca.clientCertificateList() : [])
          .filter((r) => !status || r.status === status)
          .filter((r) => !parent || !pca.listCertFiltersByParent || r.parentIdentifier === parent)
          .filter((r) => after === undefined || modified(r) >= after)
          .filter((r) => before === undefined || modified(r) <= before)
          .sort((a, b) => modified(a) - modified(b) || a.identifier.localeCompare(b.identifier));
        const start = from
          ? all.findIndex((r) => modified(r) > from[0] || (modified(r) === from[0] && r.identifier > from[1]))
          : 0;
        const page = start < 0 ? [] : all.slice(start, start + max);
        const more = start >= 0 && start + max < all.length;
        return {
          List: page.map(listCertItem),
          MaxResults: max,
          TotalCount: all.length,
          ...(more ? { NextToken: encodeListToken(page[page.length - 1]) } : {}),
        };
      },

      CreateRevokeClientCertificate: (p) => {
        pca.revoke(p.requiredString('Identifier'));
        return {};
      },

      DescribeCACertificate: (p) => {
        const id = p.requiredString('Identifier');
        const ca = pca.getCa(id);
        if (!ca)
          throw new ApiError(
            CERTIFICATE_NOT_FOUND.status,
            CERTIFICATE_NOT_FOUND.code,
            `The CA certificate ${id} does not exist.`,
          );
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
