import { ValidationError } from '../errors/index.js';

/** Every way a PKI input can be refused; each bad-CSR case has its own code so callers and tests can tell them apart. */
export type PkiErrorCode =
  | 'CSR_TOO_LARGE'
  | 'CSR_MALFORMED'
  | 'CSR_BAD_SIGNATURE'
  | 'CSR_KEY_TOO_WEAK'
  | 'CSR_UNSUPPORTED_KEY'
  | 'CSR_UNSUPPORTED_SIGNATURE'
  | 'CSR_SUBJECT_INVALID'
  | 'CSR_MULTIPLE_CN'
  | 'CSR_SAN_INVALID'
  | 'COMMON_NAME_INVALID'
  | 'SAN_INVALID'
  | 'P12_PASSWORD_INVALID'
  | 'P12_PASSWORD_TOO_COMMON'
  | 'P12_PROFILE_INVALID'
  | 'FRIENDLY_NAME_INVALID'
  | 'PATH_LENGTH_INVALID'
  | 'CERTIFICATE_MALFORMED'
  | 'VALIDITY_INVALID'
  | 'SERIAL_INVALID'
  | 'KEY_UNSUPPORTED';

/** A 400: the input (CSR, name, password, certificate) is wrong. Messages never echo a password or key. */
export class PkiError extends ValidationError {
  declare readonly code: PkiErrorCode;

  constructor(
    code: PkiErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
