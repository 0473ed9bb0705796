/**
 * Subject and SAN rules shared by the API edge and CSR parsing, plus the DER decoding of Names and
 * GeneralNames. Values travel later as strings (CAS subjects, logs, the README in the zip), so anything that
 * could change a DN's structure or a log line's shape is refused rather than escaped.
 */
import { isIP } from 'node:net';
import type { SubjectAltNames } from '../domain/client-certificate.js';
import { PkiError, type PkiErrorCode } from './errors.js';
import { TAG, DerError, decodeOid, decodeString, expectTag, readChildren, readSingle, type DerElement } from './der.js';

export const MAX_COMMON_NAME_LENGTH = 64; // ub-common-name, RFC 5280
export const MAX_SANS = 100;

// DN specials of RFC 4514/1779 plus every control, format, private-use or unassigned code point and line separators.
const FORBIDDEN_IN_NAME = /[,=+;"\\<>]|[\p{C}\p{Zl}\p{Zp}]/u;

/** Why this CN is refused, or null when it is fine. */
export function commonNameProblem(commonName: string): string | null {
  if (typeof commonName !== 'string' || commonName.length === 0) return 'is empty';
  if ([...commonName].length > MAX_COMMON_NAME_LENGTH) return `is longer than ${MAX_COMMON_NAME_LENGTH} characters`;
  if (FORBIDDEN_IN_NAME.test(commonName)) return 'contains a control character or one of , = + ; " \\ < >';
  if (commonName.trim() !== commonName) return 'starts or ends with whitespace';
  if (commonName.startsWith('#')) return 'starts with #';
  return null;
}

/** Throws PkiError COMMON_NAME_INVALID for `,` `=` `+` (and other DN specials), control characters, empty or > 64 chars. */
export function checkCommonName(commonName: string, code: PkiErrorCode = 'COMMON_NAME_INVALID'): void {
  const problem = commonNameProblem(commonName);
  if (problem) throw new PkiError(code, `The common name ${problem}.`, { details: { rule: 'commonName' } });
}

const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?(?:${DNS_LABEL}\\.)*${DNS_LABEL}$`, 'i');
const EMAIL_LOCAL = /^[A-Za-z0-9.!#$%&'*/=?^_`{|}~+-]{1,64}$/;

function dnsNameOk(name: string): boolean {
  return name.length <= 253 && DNS_NAME.test(name);
}

function sanProblem(kind: keyof SubjectAltNames, value: string): boolean {
  if (typeof value !== 'string' || value.length === 0 || /[\s\p{C}]/u.test(value)) return true;
  switch (kind) {
    case 'dns':
      return !dnsNameOk(value);
    case 'email': {
      const at = value.lastIndexOf('@');
      return value.length > 254 || at <= 0 || !EMAIL_LOCAL.test(value.slice(0, at)) || !dnsNameOk(value.slice(at + 1));
    }
    case 'uri':
      return uriProblem(value);
    case 'ip':
      return isIP(value) === 0;
  }
}

/**
 * A URI SAN is an IA5String, and a receiver matches it as a path: only RFC 3986's ASCII characters, every `%` a
 * valid escape, and no encoded `/`, `\\` or `.` nor `.`/`..` segments that a receiver could resolve elsewhere.
 */
function uriProblem(value: string): boolean {
  if (value.length > 2048 || !/^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/.test(value)) return true;
  if (/%(?![0-9a-f]{2})/i.test(value) || /%(2f|5c|2e)/i.test(value)) return true;
  const m = value.match(/^[a-z][a-z0-9+.-]*:(?:\/\/[^/?#]*)?(.*)$/is);
  if (!m || m[1].split(/[/?#]/).some((segment) => segment === '.' || segment === '..')) return true;
  try {
    return new URL(value).protocol.length < 2;
  } catch {
    return true;
  }
}

/** Completes a partial SAN set and refuses malformed entries (code SAN_INVALID, or CSR_SAN_INVALID for CSRs). */
export function checkSubjectAltNames(
  sans: Partial<SubjectAltNames> | undefined,
  code: PkiErrorCode = 'SAN_INVALID',
): SubjectAltNames {
  const full: SubjectAltNames = {
    dns: [...(sans?.dns ?? [])],
    uri: [...(sans?.uri ?? [])],
    email: [...(sans?.email ?? [])],
    ip: [...(sans?.ip ?? [])],
  };
  const total = full.dns.length + full.uri.length + full.email.length + full.ip.length;
  if (total > MAX_SANS)
    throw new PkiError(code, `At most ${MAX_SANS} subject alternative names are allowed.`, {
      details: { rule: 'sans' },
    });
  for (const kind of ['dns', 'uri', 'email', 'ip'] as const) {
    full[kind].forEach((value, index) => {
      if (sanProblem(kind, value)) {
        throw new PkiError(
          code,
          `Subject alternative name ${kind}[${index}] is not a valid ${kind === 'ip' ? 'IP address' : kind === 'dns' ? 'DNS name' : kind === 'uri' ? 'URI' : 'email address'}.`,
          {
            details: { rule: 'sans', kind, index },
          },
        );
      }
    });
  }
  // The form a certificate's iPAddress bytes print as, so a requested SAN equals the issued one.
  full.ip = full.ip.map(canonicalIp);
  return full;
}

/** IPv6 in RFC 5952 form (lower case, longest zero run compressed), as the WHATWG URL parser serializes it. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

export function emptySans(): SubjectAltNames {
  return { dns: [], uri: [], email: [], ip: [] };
}

// ---------- DER: Name ----------

export interface NameAttribute {
  oid: string;
  /** null when the value is not an ASN.1 string type */
  value: string | null;
}

/** A Name as its RDNs, in encoded order; each RDN is a set of attributes (more than one = multi-valued). */
export type ParsedName = NameAttribute[][];

export const OID_COMMON_NAME = '2.5.4.3';

export function parseName(element: DerElement): ParsedName {
  expectTag(element, TAG.SEQUENCE, 'Name');
  return readChildren(element).map((rdn) => {
    expectTag(rdn, TAG.SET, 'RelativeDistinguishedName');
    const attributes = readChildren(rdn).map((atv) => {
      const [type, value, extra] = readChildren(expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (!value || extra) throw new DerError('bad AttributeTypeAndValue');
      return { oid: decodeOid(type), value: decodeString(value) };
    });
    if (attributes.length === 0) throw new DerError('empty RDN');
    return attributes;
  });
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ')
    .replace(/\p{C}/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join(''));
}

/** `CN=a, O=b` in encoded order (as `openssl x509 -subject` prints it), values escaped per RFC 4514. */
export function formatName(name: ParsedName): string {
  return name
    .map((rdn) =>
      rdn.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${a.value === null ? '#?' : escapeDnValue(a.value)}`).join('+'),
    )
    .join(', ');
}

export function commonNamesOf(name: ParsedName): string[] {
  return name
    .flat()
    .filter((a) => a.oid === OID_COMMON_NAME)
    .map((a) => a.value ?? '');
}

// ---------- DER: GeneralNames (subjectAltName) ----------

export interface ParsedSans {
  sans: SubjectAltNames;
  /** GeneralName kinds we do not issue (otherName, directoryName, registeredID...) */
  unsupported: number;
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    // Compress the longest run of zero groups, as the canonical text form does.
    let best = { start: -1, length: 0 };
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
      i = j;
    }
    if (best.start < 0) return groups.join(':');
    return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
  }
  throw new DerError('iPAddress is neither 4 nor 16 bytes');
}

/** Decodes the extnValue of a subjectAltName extension (GeneralNames, IMPLICIT tags). */
export function parseGeneralNames(extnValue: Buffer): ParsedSans {
  const sans = emptySans();
  let unsupported = 0;
  for (const name of readChildren(expectTag(readSingle(extnValue), TAG.SEQUENCE, 'GeneralNames'))) {
    switch (name.tag) {
      case 0x81:
        sans.email.push(name.content.toString('latin1'));
        break;
      case 0x82:
        sans.dns.push(name.content.toString('latin1'));
        break;
      case 0x86:
        sans.uri.push(name.content.toString('latin1'));
        break;
      case 0x87:
        sans.ip.push(formatIp(name.content));
        break;
      default:
        unsupported++;
    }
  }
  return { sans, unsupported };
}
