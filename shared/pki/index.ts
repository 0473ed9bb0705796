/**
 * shared/pki: keys, CSRs, certificates, PKCS#12, the PEM zip and inspection. Native node:crypto does the
 * cryptography; @peculiar/x509 encodes CSRs and certificates; PKCS#12 is assembled in ./pkcs12.ts.
 * No cloud code lives here.
 */
export type { KeyAlgorithm, P12Profile, SubjectAltNames } from '../domain/client-certificate.js';
export { PkiError, type PkiErrorCode } from './errors.js';
export { generateKeyPair, keyAlgorithmOf, KEY_ALGORITHMS, type KeyPair } from './keys.js';
export { checkCommonName, checkSubjectAltNames, MAX_COMMON_NAME_LENGTH } from './names.js';
export { buildCsr, parseCsr, DEFAULT_CSR_MAX_BYTES, type ParsedCsr } from './csr.js';
export {
  createCertificateAuthority,
  signClientCertificate,
  signServerCertificate,
  randomSerialNumber,
  type CaMaterial,
  type LeafInput,
} from './certificates.js';
export { buildPkcs12, checkFriendlyName, P12_PROFILES, type P12PasswordOrigin } from './pkcs12.js';
export { encryptedPkcs8Pem } from './pbes2.js';
export {
  generateP12Password,
  checkP12Password,
  checkChosenP12Password,
  P12_PASSWORD_MIN_LENGTH,
  P12_PASSWORD_MAX_LENGTH,
} from './p12-password.js';
export { buildPemBundleZip } from './pem-zip.js';
export {
  inspectCertificate,
  keyMatchesCertificate,
  chainsTo,
  splitPemCertificates,
  type CertificateInfo,
} from './inspect.js';
