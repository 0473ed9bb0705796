/**
 * Client certificates signed directly by the emulator's CAs, without the API (not counted, not listed):
 * what data-plane tests need to knock on a listener.
 */
import type { KeyAlgorithm } from '../../../shared/domain/client-certificate.js';
import { generateKeyPair, signClientCertificate, type CaMaterial } from '../../../shared/pki/index.js';
import type { PrivateCa } from './pca.js';

export interface TestClientOptions {
  commonName?: string;
  /** `sub` (default): the PCA sub-CA; `root`: the PCA root; or any other CA (e.g. a foreign one). */
  issuer?: 'sub' | 'root' | CaMaterial;
  keyAlgorithm?: KeyAlgorithm;
  days?: number;
}

export interface TestClientCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** Intermediates to send with the leaf (the sub-CA when it issued), without the root. */
  intermediatePems: string[];
}

export async function issueTestClientCertificate(
  pca: PrivateCa,
  options: TestClientOptions = {},
): Promise<TestClientCertificate> {
  const issuer = options.issuer ?? 'sub';
  const material =
    issuer === 'sub'
      ? pca.caMaterial(pca.subCa.identifier)!
      : issuer === 'root'
        ? pca.caMaterial(pca.root.identifier)!
        : issuer;
  const keyPair = await generateKeyPair(options.keyAlgorithm ?? 'EC_P256');
  const certificatePem = await signClientCertificate({
    publicKey: keyPair.publicKey,
    commonName: options.commonName ?? 'test-client',
    notAfter: new Date(Date.now() + (options.days ?? 30) * 24 * 3600 * 1000),
    issuer: material,
  });
  return {
    certificatePem,
    privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    intermediatePems: issuer === 'sub' ? [pca.subCa.certificatePem] : [],
  };
}
