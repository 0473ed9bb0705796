/** DER structure of the X.509 objects we read: SubjectPublicKeyInfo, Certificate (TBS fields) and PKCS#10 requests. */
import { TAG, DerError, decodeOid, expectTag, readChildren, readSingle, type DerElement } from './der.js';
import { parseName, type ParsedName } from './names.js';

/** The subjectPublicKey bits (without the unused-bits byte): the input of an RFC 5280 method-1 key identifier. */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  const [, bits] = readChildren(expectTag(readSingle(spki), TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  return expectTag(bits, TAG.BIT_STRING, 'subjectPublicKey').content.subarray(1);
}

export interface ParsedExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

export function parseExtensions(sequenceOfExtensions: DerElement): ParsedExtension[] {
  return readChildren(expectTag(sequenceOfExtensions, TAG.SEQUENCE, 'Extensions')).map((extension) => {
    const parts = readChildren(expectTag(extension, TAG.SEQUENCE, 'Extension'));
    const critical = parts.length === 3 && parts[1].tag === TAG.BOOLEAN && parts[1].content[0] !== 0;
    const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue').content;
    return { oid: decodeOid(parts[0]), critical, value };
  });
}

export interface ParsedCertificate {
  /** lower-case hex without a sign byte */
  serialNumber: string;
  issuer: ParsedName;
  subject: ParsedName;
  extensions: ParsedExtension[];
}

export function unsignedHex(integerContent: Buffer): string {
  let start = 0;
  while (start < integerContent.length - 1 && integerContent[start] === 0) start++;
  return integerContent.subarray(start).toString('hex');
}

export function parseCertificateDer(der: Buffer): ParsedCertificate {
  const [tbs] = readChildren(expectTag(readSingle(der), TAG.SEQUENCE, 'Certificate'));
  const fields = readChildren(expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate'));
  let index = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional (v1)
  const serial = expectTag(fields[index++], TAG.INTEGER, 'serialNumber');
  index++; // signature AlgorithmIdentifier
  const issuer = parseName(fields[index++]);
  index++; // validity
  const subject = parseName(fields[index++]);
  index++; // subjectPublicKeyInfo
  const extensionsWrapper = fields.slice(index).find((f) => f.tag === 0xa3);
  const extensions = extensionsWrapper ? parseExtensions(readSingle(extensionsWrapper.content)) : [];
  return { serialNumber: unsignedHex(serial.content), issuer, subject, extensions };
}

export interface ParsedCsrStructure {
  /** DER of CertificationRequestInfo: the bytes the signature covers */
  info: Buffer;
  subject: ParsedName;
  spki: Buffer;
  signatureAlgorithm: { oid: string; parameters?: DerElement };
  signature: Buffer;
  extensions: ParsedExtension[];
}

const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export function parseCsrDer(der: Buffer): ParsedCsrStructure {
  const [info, algorithm, signature, extra] = readChildren(
    expectTag(readSingle(der), TAG.SEQUENCE, 'CertificationRequest'),
  );
  if (extra) throw new DerError('extra fields in CertificationRequest');
  const [version, subject, spki, attributes] = readChildren(expectTag(info, TAG.SEQUENCE, 'CertificationRequestInfo'));
  expectTag(version, TAG.INTEGER, 'version');
  if (version.content.length !== 1 || version.content[0] !== 0) throw new DerError('unsupported CSR version');
  expectTag(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const extensions: ParsedExtension[] = [];
  if (attributes) {
    if (attributes.tag !== 0xa0) throw new DerError('expected [0] attributes');
    for (const attribute of readChildren(attributes)) {
      const [type, values] = readChildren(expectTag(attribute, TAG.SEQUENCE, 'Attribute'));
      if (decodeOid(type) !== OID_EXTENSION_REQUEST) continue;
      for (const value of readChildren(expectTag(values, TAG.SET, 'attribute values')))
        extensions.push(...parseExtensions(value));
    }
  }
  const [algorithmOid, parameters] = readChildren(expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm'));
  const bits = expectTag(signature, TAG.BIT_STRING, 'signature');
  if (bits.content.length < 2 || bits.content[0] !== 0) throw new DerError('bad signature BIT STRING');
  return {
    info: info.raw,
    subject: parseName(subject),
    spki: spki.raw,
    signatureAlgorithm: { oid: decodeOid(algorithmOid), parameters },
    signature: bits.content.subarray(1),
    extensions,
  };
}
