/**
 * Builds PKCS#10 requests byte by byte, including the broken ones a careful client would never send
 * (several CNs, multi-valued RDNs, control characters, odd SAN kinds, a wrong signature algorithm), so the CSR
 * parser can be tested against each refusal without depending on what a tool is willing to produce.
 */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { TAG, explicit, integer, octetString, oid, sequence, set, tlv } from '../../shared/pki/der.js';

export type ForgedAttribute = { oid: string; value: string; tag?: number };

export interface ForgeCsrInput {
  privateKey: KeyObject;
  /** RDNs in order; an RDN with several attributes is multi-valued */
  subject: ForgedAttribute[][];
  /** raw GeneralName elements for a subjectAltName extension */
  sanGeneralNames?: Buffer[];
  /** signature algorithm OID; default sha256WithRSAEncryption / ecdsa-with-SHA256 by key type */
  signatureOid?: string;
  /** null for EdDSA */
  digest?: string | null;
  /** flips one bit of the signature */
  corruptSignature?: boolean;
  /** signs with another key than the one in the request */
  signingKey?: KeyObject;
}

export const OIDS = { cn: '2.5.4.3', o: '2.5.4.10', ou: '2.5.4.11' } as const;

export function generalName(
  kind: 'email' | 'dns' | 'uri' | 'ip' | 'dirName' | 'otherName',
  value: Buffer | string,
): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const tags = { otherName: 0xa0, email: 0x81, dns: 0x82, dirName: 0xa4, uri: 0x86, ip: 0x87 } as const;
  return tlv(tags[kind], bytes);
}

export function forgeCsrDer(input: ForgeCsrInput): Buffer {
  const spki = createPublicKey(input.privateKey).export({ type: 'spki', format: 'der' });
  const name = sequence(
    ...input.subject.map((rdn) =>
      set(...rdn.map((a) => sequence(oid(a.oid), tlv(a.tag ?? TAG.UTF8_STRING, Buffer.from(a.value, 'utf8'))))),
    ),
  );
  const attributes = input.sanGeneralNames
    ? explicit(
        0,
        sequence(
          oid('1.2.840.113549.1.9.14'),
          set(sequence(sequence(oid('2.5.29.17'), octetString(sequence(...input.sanGeneralNames))))),
        ),
      )
    : explicit(0, Buffer.alloc(0));
  const info = sequence(integer(0), name, spki, attributes);
  const isRsa = input.privateKey.asymmetricKeyType === 'rsa';
  const signatureOid = input.signatureOid ?? (isRsa ? '1.2.840.113549.1.1.11' : '1.2.840.10045.4.3.2');
  const signature = sign(
    input.digest === undefined ? 'sha256' : input.digest,
    info,
    input.signingKey ?? input.privateKey,
  );
  if (input.corruptSignature) signature[signature.length - 1] ^= 0x01;
  const algorithm = isRsa ? sequence(oid(signatureOid), Buffer.from([TAG.NULL, 0])) : sequence(oid(signatureOid));
  return sequence(info, algorithm, tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));
}

export function forgeCsrPem(input: ForgeCsrInput): string {
  const base64 = forgeCsrDer(input).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}
