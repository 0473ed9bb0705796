/** The pieces of names and extensions that both CSRs and certificates are built from. */
import { createHash, type KeyObject } from 'node:crypto';
import type { SubjectAltNames } from '../domain/client-certificate.js';
import { spkiDer } from './keys.js';
import { OID_COMMON_NAME } from './names.js';
import { subjectPublicKeyBits } from './parse.js';
import type * as X509 from '@peculiar/x509';
import type { X509Module } from './webcrypto.js';

const OID_ORGANIZATION = '2.5.4.10';

/** `x509`: the loaded module (./webcrypto.ts loadX509). Built from data, never from a DN string, so a value cannot smuggle in extra RDNs. */
export function subjectName(x509: X509Module, commonName: string, organization?: string): X509.Name {
  const rdns: Array<Record<string, string[]>> = [];
  if (organization !== undefined) rdns.push({ [OID_ORGANIZATION]: [organization] });
  rdns.push({ [OID_COMMON_NAME]: [commonName] });
  return new x509.Name(rdns);
}

export function subjectAltNameExtension(
  x509: X509Module,
  sans: SubjectAltNames,
): X509.SubjectAlternativeNameExtension | null {
  const names: X509.JsonGeneralNames = [
    ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...sans.email.map((value) => ({ type: 'email' as const, value })),
    ...sans.uri.map((value) => ({ type: 'url' as const, value })),
    ...sans.ip.map((value) => ({ type: 'ip' as const, value })),
  ];
  return names.length > 0 ? new x509.SubjectAlternativeNameExtension(names, false) : null;
}

/** RFC 5280 method 1: SHA-1 over the subjectPublicKey bits (hex), as OpenSSL computes SKIs. */
export function keyIdentifier(publicKey: KeyObject): string {
  return createHash('sha1')
    .update(subjectPublicKeyBits(spkiDer(publicKey)))
    .digest('hex');
}
