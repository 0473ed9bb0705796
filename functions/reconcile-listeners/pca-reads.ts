/**
 * The two private-CA reads reconciliation needs (CAS 2020-06-30, signed RPC): a CA's certificate and status
 * for the seed rules, and an issued client certificate's public PEM and chain for the canary and the CA-change
 * check. Read-only; nothing here can issue or revoke.
 */
import type { CaFacts, CaSource } from '../../shared/domain/listeners/ports.js';
import { splitPemCertificates } from '../../shared/pki/index.js';
import { RpcError, type RpcCaller } from '../../shared/alibaba/rpc.js';

export const PCA_API_VERSION = '2020-06-30';

export interface IssuedClientCertificate {
  identifier: string;
  certificatePem: string;
  /** Issuing sub-CA first, root last. */
  chainPems: string[];
  status: string;
}

export interface PcaReads extends CaSource {
  getClientCertificate(identifier: string): Promise<IssuedClientCertificate | undefined>;
}

const isNotFound = (err: unknown) => err instanceof RpcError && /NotFound|NotExist/i.test(err.code);

export function createPcaReads(call: RpcCaller): PcaReads {
  return {
    async getCa(identifier): Promise<CaFacts | undefined> {
      let res: {
        Certificate?: {
          Identifier: string;
          ParentIdentifier?: string;
          X509Certificate: string;
          Status: string;
          AfterDate: number | string;
          CertificateType?: string;
          Algorithm?: string;
        };
      };
      try {
        res = await call('DescribeCACertificate', { Identifier: identifier });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const c = res.Certificate;
      if (!c?.X509Certificate) return undefined;
      return {
        identifier: c.Identifier ?? identifier,
        certificatePem: splitPemCertificates(c.X509Certificate)[0] ?? c.X509Certificate,
        status: c.Status,
        notAfter: new Date(Number(c.AfterDate)),
        ...(c.ParentIdentifier ? { parentIdentifier: c.ParentIdentifier } : {}),
        ...(c.CertificateType ? { type: c.CertificateType } : {}),
        // DescribeCACertificate.Algorithm is the key's family (`RSA`, `ECC`, `SM2`).
        keyFamily: c.Algorithm === 'RSA' ? 'RSA' : c.Algorithm === 'ECC' ? 'EC' : 'unknown',
      };
    },

    async getClientCertificate(identifier) {
      let res: { Certificate?: { Identifier: string; X509Certificate: string; CertChain?: string; Status: string } };
      try {
        res = await call('DescribeClientCertificate', { Identifier: identifier });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const c = res.Certificate;
      if (!c?.X509Certificate) return undefined;
      return {
        identifier,
        certificatePem: c.X509Certificate,
        chainPems: c.CertChain ? splitPemCertificates(c.CertChain) : [],
        status: c.Status,
      };
    },
  };
}
