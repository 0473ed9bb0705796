/** The few lines every command prints about a certificate. */
import type { SubjectAltNames } from '../../shared/domain/client-certificate.js';
import type { CertificateInfo } from '../../shared/pki/index.js';

export function sansText(sans: SubjectAltNames): string {
  const parts = [
    ...sans.dns.map((v) => `DNS:${v}`),
    ...sans.uri.map((v) => `URI:${v}`),
    ...sans.email.map((v) => `email:${v}`),
    ...sans.ip.map((v) => `IP:${v}`),
  ];
  return parts.length ? parts.join(', ') : '(none)';
}

export function describeCertificate(info: CertificateInfo, generation?: number): string[] {
  return [
    `  subject     ${info.subject}`,
    `  SANs        ${sansText(info.sans)}`,
    `  serial      ${info.serialNumber}${generation ? ` (generation ${generation})` : ''}`,
    `  key         ${info.keyAlgorithm}`,
    `  valid       ${info.notBefore.toISOString()} .. ${info.notAfter.toISOString()}`,
  ];
}
