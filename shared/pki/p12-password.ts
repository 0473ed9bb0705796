/** .p12 passwords: generated ones carry 144 random bits; given ones are 12..128 printable ASCII characters. */
import { randomBytes } from 'node:crypto';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { PkiError } from './errors.js';

export const P12_PASSWORD_MIN_LENGTH = 12;
export const P12_PASSWORD_MAX_LENGTH = 128;

/**
 * 18 random bytes as base64url: 24 characters from [A-Za-z0-9_-], 144 bits. Safe in URLs, shells, curl's
 * `--cert file:PASS` and every importer's password box.
 */
export function generateP12Password(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Printable ASCII only: PKCS#12 encodes the password as BMPString for the MAC and as raw bytes for PBES2, and
 * importers disagree on non-ASCII text, so such a password could open in one tool and not in another.
 */
export function checkP12Password(password: string): void {
  if (
    typeof password !== 'string' ||
    password.length < P12_PASSWORD_MIN_LENGTH ||
    password.length > P12_PASSWORD_MAX_LENGTH
  ) {
    throw new PkiError(
      'P12_PASSWORD_INVALID',
      `The .p12 password must be ${P12_PASSWORD_MIN_LENGTH} to ${P12_PASSWORD_MAX_LENGTH} characters long.`,
    );
  }
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new PkiError('P12_PASSWORD_INVALID', 'The .p12 password may only contain printable ASCII characters.');
  }
}

const COMMON = new Set(COMMON_PASSWORDS);

/**
 * A password the caller chose (not one we generated): the rules above, some variety, and not a common password
 * (the list in ./common-passwords.ts, compared case-insensitively). Each refusal has its own code; none echoes it.
 */
export function checkChosenP12Password(password: string): void {
  checkP12Password(password);
  // Long enough is not enough: a password of a few repeated characters falls to the first guesses.
  if (new Set(password).size < 6)
    throw new PkiError(
      'P12_PASSWORD_INVALID',
      'The .p12 password is too predictable: use at least 6 different characters.',
    );
  if (COMMON.has(password.toLowerCase()))
    throw new PkiError(
      'P12_PASSWORD_TOO_COMMON',
      'The .p12 password is in a list of common passwords: choose another, or let the service generate one.',
    );
}
