/**
 * What a managed listener server certificate needs from the cloud, beside the reconciler's other ports
 * (./ports.ts): the private CA that signs a server certificate for our CSR (CAS 2020-06-30
 * CreateServerCertificateWithCsr, adapter shared/alibaba/cas-pca-server.ts) and the certificate store that NLB
 * takes server certificates from (CAS 2020-04-07 UploadUserCertificate / DeleteUserCertificate, adapter
 * shared/alibaba/cas-store-uploads.ts). Kept apart from the client-certificate `CertificateAuthority` port.
 */
import type { KeyAlgorithm } from '../client-certificate.js';

export interface ServerCertificateRequest {
  /** The sub-CA that signs it. */
  parentIdentifier: string;
  csrPem: string;
  /** The CSR's key algorithm (CAS names it, and it must be of the sub-CA's family). */
  keyAlgorithm: KeyAlgorithm;
  /** DNS names and IP addresses, all of them as SANs (the first is also the CSR's common name). */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** CAS's `CustomIdentifier`: lets a certificate be recognised later; NOT an idempotency token (undocumented). */
  customIdentifier: string;
}

export interface IssuedServerCertificate {
  /** The private CA's identifier of the certificate. */
  identifier: string;
  /** Lower-case hex. */
  serialNumber: string;
  certificatePem: string;
  /** Issuing sub-CA first, root last. */
  chainPems: string[];
}

export interface ServerCertificateAuthority {
  issueServerCertificate(request: ServerCertificateRequest): Promise<IssuedServerCertificate>;
}

export interface ServerCertificateUploads {
  /** Puts a certificate (leaf, then chain) and its key in the store; resolves its CertId. */
  upload(input: { name: string; certificateChainPem: string; privateKeyPem: string }): Promise<{ certId: string }>;
  /** Removes it; a certificate that is already gone counts as removed. */
  delete(certId: string): Promise<void>;
}
