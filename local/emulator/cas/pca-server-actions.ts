/**
 * CreateServerCertificateWithCsr (CAS 2020-06-30, contracts/cas-2020-06-30/CreateServerCertificateWithCsr.json):
 * the private CA signs a TLS server certificate for a CSR. As the model documents it: the common name comes from
 * the CSR; `Domain` adds DNS names and IP addresses (comma-separated) as SANs; the key's algorithm family must be
 * the issuing sub-CA's; the validity (Days, else BeforeTime + AfterTime, else Months/Years) may not exceed the
 * sub-CA's; `Immediately` 0 (the default) answers no certificate, 1 the certificate, 2 also its chain.
 * ASSUMED (no page says): the error codes below, that a revoked sub-CA refuses, and which `Domain` values CAS
 * refuses (here: anything that is not a DNS name, a wildcard in the leftmost label, or an IP address).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { PkiError, parseCsr, signServerCertificate } from '../../../shared/pki/index.js';
import type { JsonlCollection } from '../persistence.js';
import { ApiError, invalidParameter, missingParameter } from '../rpc/api-error.js';
import type { RpcParams } from '../rpc/params.js';
import type { RpcHandler } from '../rpc/server.js';
import { invalidCertificateRequest, pcaIdentifier, type PrivateCa } from './pca.js';

const DAY_MS = 86_400_000;
const DNS_NAME = /^(\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

export interface ServerCertificateRecord {
  identifier: string;
  parentIdentifier: string;
  serialNumber: string;
  commonName: string;
  domains: string[];
  certificatePem: string;
  notBefore: number;
  notAfter: number;
  customIdentifier?: string;
  sha2: string;
  createdAt: number;
}

/** Days wins over BeforeTime/AfterTime (the model's rule); then BeforeTime + AfterTime; then Months or Years. */
function validity(p: RpcParams, now: Date): { notBefore: Date; notAfter: Date } {
  const days = p.int('Days', { min: 1 });
  const before = p.int('BeforeTime', { min: 0 });
  const after = p.int('AfterTime', { min: 0 });
  if ((before === undefined) !== (after === undefined))
    throw invalidParameter(
      before === undefined ? 'BeforeTime' : 'AfterTime',
      'BeforeTime and AfterTime must be both empty or both specified.',
    );
  if (days !== undefined) return { notBefore: now, notAfter: new Date(now.getTime() + days * DAY_MS) };
  if (before !== undefined && after !== undefined)
    return { notBefore: new Date(before * 1000), notAfter: new Date(after * 1000) };
  const months = p.int('Months', { min: 1 });
  const years = p.int('Years', { min: 1 });
  const notAfter = new Date(now);
  if (months !== undefined) notAfter.setUTCMonth(notAfter.getUTCMonth() + months);
  else if (years !== undefined) notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  else throw missingParameter('Days');
  return { notBefore: now, notAfter };
}

function domains(value: string | undefined): { dns: string[]; ip: string[]; all: string[] } {
  const all = (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const dns: string[] = [];
  const ip: string[] = [];
  for (const v of all) {
    if (isIP(v)) ip.push(v);
    else if (v.length <= 253 && DNS_NAME.test(v)) dns.push(v.toLowerCase());
    else throw new ApiError(400, 'InvalidParameter.Domain', `The domain name ${JSON.stringify(v)} is not valid.`);
  }
  return { dns, ip, all };
}

export function pcaServerActions(
  pca: PrivateCa,
  issued: JsonlCollection<ServerCertificateRecord>,
): Record<string, RpcHandler> {
  return {
    CreateServerCertificateWithCsr: async (p) => {
      const parentIdentifier = p.requiredString('ParentIdentifier');
      const parent = pca.getCa(parentIdentifier);
      const material = pca.caMaterial(parentIdentifier);
      if (!parent || !material)
        throw new ApiError(404, 'NotFound.ParentIdentifier', `The CA certificate ${parentIdentifier} does not exist.`);
      if (parent.certificateType !== 'SUB_ROOT')
        throw new ApiError(
          400,
          'InvalidParameter.ParentIdentifier',
          'Only a subordinate CA certificate can issue server certificates.',
        );
      if (parent.status === 'REVOKE')
        throw new ApiError(
          400,
          'InvalidParameter.ParentIdentifier',
          `The CA certificate ${parentIdentifier} is revoked.`,
        );

      const now = new Date();
      const { notBefore, notAfter } = validity(p, now);
      if (notAfter.getTime() <= notBefore.getTime())
        throw invalidParameter('AfterTime', 'It must be later than BeforeTime.');
      if (notAfter.getTime() > Date.parse(new X509Certificate(parent.certificatePem).validTo))
        throw new ApiError(
          400,
          'InvalidParameter.Validity',
          'The validity period of the certificate cannot exceed that of the subordinate CA certificate.',
        );
      const names = domains(p.string('Domain'));

      let csr;
      try {
        csr = await parseCsr(p.requiredString('Csr'));
      } catch (err) {
        if (err instanceof PkiError)
          throw new ApiError(400, 'InvalidParameter.Csr', `The CSR is not valid: ${err.message} (${err.code})`);
        throw err;
      }
      const family = csr.publicKey.asymmetricKeyType === 'ec' ? 'ECC' : 'RSA';
      if (family !== pca.caKeyFamily(parentIdentifier))
        throw new ApiError(
          400,
          'InvalidParameter.Algorithm',
          `The key algorithm of the certificate (${family}) must be the same as that of the subordinate CA certificate (${pca.caKeyFamily(parentIdentifier)}).`,
        );
      const algorithm = p.string('Algorithm');
      if (algorithm && !algorithm.startsWith(family === 'ECC' ? 'ECC_' : 'RSA_'))
        throw new ApiError(
          400,
          'InvalidParameter.Algorithm',
          `Algorithm ${algorithm} does not match the CSR's key (${family}).`,
        );

      let certificatePem: string;
      try {
        certificatePem = await signServerCertificate({
          publicKey: csr.publicKey,
          commonName: csr.commonName,
          sans: { dns: names.dns, ip: names.ip },
          notBefore,
          notAfter,
          issuer: material,
        });
      } catch (err) {
        throw invalidCertificateRequest(err);
      }
      const certificate = new X509Certificate(certificatePem);
      const record: ServerCertificateRecord = {
        identifier: pcaIdentifier(),
        parentIdentifier,
        serialNumber: certificate.serialNumber.toLowerCase(),
        commonName: csr.commonName,
        domains: names.all,
        certificatePem,
        notBefore: Date.parse(certificate.validFrom),
        notAfter: Date.parse(certificate.validTo),
        ...(p.string('CustomIdentifier') ? { customIdentifier: p.string('CustomIdentifier') } : {}),
        sha2: createHash('sha256').update(certificate.raw).digest('hex'),
        createdAt: Date.now(),
      };
      issued.put(record.identifier, record);

      const immediately = p.int('Immediately') ?? 0;
      return {
        Identifier: record.identifier,
        SerialNumber: record.serialNumber,
        ...(immediately >= 1 ? { X509Certificate: certificatePem } : {}),
        ...(immediately === 2 ? { CertificateChain: pca.caChainPems(parentIdentifier).join('') } : {}),
      };
    },
  };
}
