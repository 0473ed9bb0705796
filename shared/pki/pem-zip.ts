/**
 * The PEM bundle: one zip with client.crt (leaf + intermediates), client.key (PKCS#8, unencrypted; absent in
 * CSR mode), ca.crt (the issuing chain) and a README.txt with the commands of the seed's Linux client step.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { splitPemCertificates } from './inspect.js';

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
  const keyLine = withKey
    ? 'client.key  your private key (PKCS#8, not encrypted): keep it secret, e.g. chmod 600 client.key'
    : 'client.key  not included: you made the CSR, so the private key never left your machine; use that key file';
  return [
    `Client certificate for CN=${commonName}`,
    '',
    'client.crt  your certificate, followed by the intermediate CA certificates',
    keyLine,
    'ca.crt      the CA chain that issued client.crt',
    '',
    'Test the mutual-TLS connection:',
    `  curl --cert client.crt --key client.key --cacert ca.crt ${url}`,
    `  openssl s_client -connect ${host}:443 -cert client.crt -key client.key -CAfile ca.crt`,
    '',
    '--cacert/-CAfile ca.crt verify the server with the same CA, as when the server certificate comes from it;',
    'if the server uses a publicly trusted certificate, leave --cacert ca.crt / -CAfile ca.crt out.',
    '',
  ].join('\n');
}

function isSelfSigned(pem: string): boolean {
  const certificate = new X509Certificate(pem);
  return certificate.checkIssued(certificate);
}

export function buildPemBundleZip(input: {
  certificatePem: string;
  chainPems: string[];
  /** absent in CSR mode: no client.key */
  privateKey?: KeyObject;
  commonName: string;
  exampleUrl?: string;
}): Buffer {
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
    // Unix mode 0600 in the entry's external attributes: unzip restores it, so the key is not left world-readable.
    files['client.key'] = [
      strToU8(input.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
      { os: 3, attrs: UNIX_PRIVATE_FILE << 16 },
    ];
  }
  return Buffer.from(zipSync(files, { level: 6 }));
}
