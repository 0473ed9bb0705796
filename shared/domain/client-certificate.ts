/**
 * The record of one client certificate as this project keeps it (JSON in OSS at `records/<id>.json`).
 * It never holds a private key or a .p12 password.
 */
export type KeyAlgorithm = 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'EC_P256' | 'EC_P384';
export type P12Profile = 'modern' | 'compat';
export type IssuanceMode = 'server-key' | 'csr';
/** `REVOKING`: the revocation is recorded (auto-renew off) and not yet confirmed by the CA for every generation. */
export type CertificateStatus = 'ACTIVE' | 'REVOKING' | 'REVOKED' | 'EXPIRED';

export interface SubjectAltNames {
  dns: string[];
  uri: string[];
  email: string[];
  ip: string[];
}

/** Where the current generation's files live in the bucket. */
export interface BundleObjects {
  /** server-key mode */
  p12?: string;
  /** server-key mode: zip of client.crt, client.key, ca.crt, README.txt */
  pem?: string;
  /** csr mode: zip/PEM of the certificate and chain only */
  certificate?: string;
}

export interface IssuedGeneration {
  generation: number;
  casIdentifier: string;
  serialNumber: string;
  notBefore: string; // ISO 8601
  notAfter: string; // ISO 8601
  fingerprintSha256: string;
  issuedAt: string;
  bundle: BundleObjects;
  /** Cut short at the issuing CA's notAfter: renewing again cannot reach further, so it is not renewed again. */
  cappedByCa?: boolean;
}

export interface RenewalState {
  /** When this certificate becomes due (ISO); the renewal index key sorts on it. */
  renewAt: string;
  lastRenewedAt?: string;
  lastFailure?: { code: string; message: string; at: string };
  failedAttempts: number;
  nextAttemptAt?: string;
  /** Days-before-expiry thresholds (30, 7, 1) already notified, so none is sent twice. */
  expiringNotified: number[];
}

/** What was asked for: the same in the record, in a pending issuance and in an issuance request. */
export interface CertificateProfile {
  commonName: string;
  sans: SubjectAltNames;
  mode: IssuanceMode;
  keyAlgorithm: KeyAlgorithm;
  p12Profile: P12Profile;
  validityDays: number;
}

export interface ClientCertificate extends CertificateProfile {
  id: string;
  tenant: string;
  autoRenew: boolean;
  renewBeforeDays?: number;
  notify?: { webhookUrl: string };
  labels: Record<string, string>;
  /** csr mode: the caller's CSR, re-submitted on renewal so the client keeps its key. */
  csrPem?: string;
  status: CertificateStatus;
  /** When the revocation was asked for (status REVOKING, then REVOKED). */
  revocationRequestedAt?: string;
  revokedAt?: string;
  revocationReason?: string;
  current: IssuedGeneration;
  /** Earlier generations (newest first, capped), still valid until their notAfter unless revoked. */
  previous: Array<
    Pick<IssuedGeneration, 'generation' | 'casIdentifier' | 'serialNumber' | 'notAfter'> & { revokedAt?: string }
  >;
  renewal: RenewalState;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}
