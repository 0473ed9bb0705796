/**
 * What a generation's downloadable files are built with (.p12, the PEM zip with fflate). Issuance and renewal load
 * it with `import()` (shared/certificates/bundles.ts), so a function's cold start and its read-only paths skip it.
 */
export { buildPkcs12, P12_PROFILES } from './pkcs12.js';
export { buildPemBundleZip } from './pem-zip.js';
