/**
 * A listener that trusts a sub-CA must refuse, inside the TLS handshake and with an alert, a client chained to
 * the same root through another sub-CA, as a terminator does. OpenSSL (Node 20) only anchors trust at a
 * self-signed certificate, so the sub-CA is re-issued to itself: same subject, same key, same key identifier,
 * self-signed. Leaves of that sub-CA verify against it; anything else fails the handshake (`unknown ca`). Only the
 * emulator can do this: it holds the sub-CA's key.
 */
import { X509Certificate } from 'node:crypto';
import type { CaMaterial } from '../../../shared/pki/index.js';
import { randomSerialNumber } from '../../../shared/pki/index.js';
import { signingSpecOf, toPrivateCryptoKey } from '../../../shared/pki/webcrypto.js';
import { x509 } from '../../../shared/pki/x509.js';

const anchors = new Map<string, Promise<string>>();

export function selfAnchoredCa(ca: CaMaterial): Promise<string> {
  let anchor = anchors.get(ca.certificatePem);
  if (!anchor) {
    anchor = build(ca);
    anchors.set(ca.certificatePem, anchor);
  }
  return anchor;
}

async function build(ca: CaMaterial): Promise<string> {
  const own = new X509Certificate(ca.certificatePem);
  if (own.issuer === own.subject && own.verify(own.publicKey)) return ca.certificatePem; // a root anchors itself
  const original = new x509.X509Certificate(own.raw);
  const ski = original.getExtension(x509.SubjectKeyIdentifierExtension);
  const subject = new x509.Name(original.subjectName.toArrayBuffer());
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ...(ski ? [new x509.SubjectKeyIdentifierExtension(ski.keyId)] : []),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: subject,
    notBefore: original.notBefore,
    notAfter: original.notAfter,
    publicKey: original.publicKey,
    signingKey: await toPrivateCryptoKey(ca.privateKey),
    signingAlgorithm: signingSpecOf(ca.privateKey).signingAlgorithm,
    extensions,
  });
  return certificate.toString('pem') + '\n';
}
