/**
 * Every check the bundle build will apply, run BEFORE the CA call: a request that cannot end in a bundle must never
 * issue a certificate. The rules are the encoders' own (the .p12 friendlyName is the common name, limited in UTF-16
 * code units as the BMPString stores it), and the client key's family must be the issuing sub-CA's (CAS's rule).
 */
import type { IssuanceMode, KeyAlgorithm } from '../domain/client-certificate.js';
import type { KeyFamily } from '../domain/ports.js';
import { ValidationError } from '../errors/index.js';
import { checkFriendlyName, checkP12Password, PkiError } from '../pki/index.js';

export function keyFamilyOf(algorithm: KeyAlgorithm): KeyFamily {
  return algorithm.startsWith('RSA_') ? 'RSA' : algorithm.startsWith('EC_') ? 'EC' : 'unknown';
}

/** The key type the service makes when the caller names none: the sub-CA's family. */
export function defaultKeyAlgorithm(caFamily: KeyFamily): KeyAlgorithm {
  return caFamily === 'EC' ? 'EC_P256' : 'RSA_2048';
}

export function checkKeyFamily(algorithm: KeyAlgorithm, caFamily: KeyFamily): void {
  if (caFamily === 'unknown' || keyFamilyOf(algorithm) === caFamily) return;
  throw new ValidationError(
    'KEY_ALGORITHM_MISMATCH',
    `The issuing CA signs ${caFamily === 'EC' ? 'EC' : 'RSA'} keys only; use a key of that family.`,
    { details: { caKeyFamily: caFamily, keyAlgorithm: algorithm } },
  );
}

export function checkBundleInputs(input: { mode: IssuanceMode; commonName: string; p12Password?: string }): void {
  if (input.mode !== 'server-key') return; // CSR mode builds a certificate zip: no name or password inside
  try {
    checkFriendlyName(input.commonName);
  } catch (err) {
    if (!(err instanceof PkiError)) throw err;
    throw new ValidationError(
      'COMMON_NAME_INVALID',
      'The common name does not fit a .p12 bundle: at most 64 UTF-16 code units (characters outside the basic ' +
        'plane count twice), printable.',
      { details: { rule: 'commonName' } },
    );
  }
  if (input.p12Password !== undefined) checkP12Password(input.p12Password);
}
