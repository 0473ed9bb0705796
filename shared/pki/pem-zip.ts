/**
 * The PEM bundle: one zip with client.crt (leaf + intermediates), client.key (encrypted PKCS#8 under the bundle's
 * .p12 password; absent in CSR mode), ca.crt (the issuing chain) and a README.txt with the commands of the seed's
 * Linux client step. The key is never written in the clear: the zip sits in the bucket for the certificate's
 * whole life, so the password (given to the caller once, never stored) must protect it as it protects the .p12.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { splitPemCertificates } from './inspect.js';
import { encryptedPkcs8Pem } from './pbes2.js';

const README_HOST_PLACEHOLDER = '<host>';
const UNIX_PRIVATE_FILE = 0o100600; // regular file, rw-------

function hostOf(exampleUrl: string | undefined): { url: string; host: string } {
  if (!exampleUrl) return { url: `https://${README_HOST_PLACEHOLDER}/`, host: README_HOST_PLACEHOLDER };
  try {
    const url = new URL(exampleUrl);
    return { url: url.href, host: url.hostname };
  } catch {
    return { url: `https://${README_HOST_PLACEHOLDER}/`, host: README_HOST_PLACEHOLDER };
  }
}

function readme(commonName: string, withKey: boolean, exampleUrl: string | undefined): string {
  const { url, host } = hostOf(exampleUrl);
  const keyLines = withKey
    ? [
        'client.key  your private key, encrypted (PKCS#8, AES-256) with the .p12 password you were given',
        '',
        'Test the mutual-TLS connection (PASS = that password):',
        `  curl --cert client.crt --key client.key --pass "$PASS" --cacert ca.crt ${url}`,
        `  openssl s_client -connect ${host}:443 -cert client.crt -cert_chain client.crt -key client.key -pass pass:"$PASS" -CAfile ca.crt`,
        '',
        'A client that cannot read an encrypted key gets a plain copy (keep it secret: chmod 600):',
        '  openssl pkey -in client.key -passin pass:"$PASS" -out client-plain.key',
      ]
    : [
        'client.key  not included: you made the CSR, so the private key never left your machine; use that key file',
        '',
        'Test the mutual-TLS connection:',
        `  curl --cert client.crt --key client.key --cacert ca.crt ${url}`,
        `  openssl s_client -connect ${host}:443 -cert client.crt -cert_chain client.crt -key client.key -CAfile ca.crt`,
      ];
  return [
    `Client certificate for CN=${commonName}`,
    '',
    'client.crt  your certificate, followed by the intermediate CA certificates',
    'ca.crt      the CA chain that issued client.crt',
    ...keyLines,
    '',
    '--cacert/-CAfile ca.crt verify the server with the same CA, as when the server certificate comes from it;',
    'if the server uses a publicly trusted certificate, leave --cacert ca.crt / -CAfile ca.crt out.',
    'openssl s_client sends only the first certificate of -cert: -cert_chain client.crt makes it send the',
    'intermediate too, which a listener that trusts only the root CA needs.',
    '',
  ].join('\n');
}

function isSelfSigned(pem: string): boolean {
  const certificate = new X509Certificate(pem);
  return certificate.checkIssued(certificate);
}

export async function buildPemBundleZip(input: {
  certificatePem: string;
  chainPems: string[];
  /** absent in CSR mode: no client.key */
  privateKey?: KeyObject;
  /** With `privateKey`: the .p12 password, which also encrypts client.key. */
  password?: string;
  /** PBKDF2 iterations for client.key: the .p12's own count for this password (see P12_PROFILES). */
  keyIterations?: number;
  commonName: string;
  exampleUrl?: string;
}): Promise<Buffer> {
  const leaf = splitPemCertificates(input.certificatePem);
  const chain = input.chainPems.flatMap(splitPemCertificates);
  // The client presents leaf + intermediates; a root in client.crt would be useless weight on every handshake.
  const intermediates = chain.filter((pem) => !isSelfSigned(pem));
  const files: Zippable = {
    'client.crt': strToU8([...leaf, ...intermediates].join('')),
    'ca.crt': strToU8(chain.join('')),
    'README.txt': strToU8(readme(input.commonName, input.privateKey !== undefined, input.exampleUrl)),
  };
  if (input.privateKey) {
    if (!input.password) throw new Error('a PEM bundle with a private key needs the password that encrypts it');
    const keyPem = await encryptedPkcs8Pem(input.privateKey, input.password, input.keyIterations ?? 10_000);
    // Unix mode 0600 in the entry's external attributes: unzip restores it, so the key is not left world-readable.
    files['client.key'] = [strToU8(keyPem), { os: 3, attrs: UNIX_PRIVATE_FILE << 16 }];
  }
  return Buffer.from(zipSync(files, { level: 6 }));
}
