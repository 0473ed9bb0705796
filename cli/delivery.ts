/**
 * Receiving a certificate the API issued or renewed: download through the answer's signed links, verify every
 * byte (fingerprint from the answer, chain to ca.crt, our key, unchanged names), and only then replace the files.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { SubjectAltNames } from '../shared/domain/client-certificate.js';
import type { CertificateInfo } from '../shared/pki/index.js';
import { download } from './api.js';
import { openP12, openPemZip, plainKeyPem, verifyChain } from './bundle.js';
import { installCredentials, stateFrom } from './credentials.js';
import { CliError, EXIT } from './exit-codes.js';
import type { FileLayout } from './layout.js';
import type { Output } from './output.js';

/** The parts of an issue/renew answer (docs/openapi.yaml IssueResult) the CLI uses. */
export interface CertificateAnswer {
  id: string;
  generation: number;
  mode: 'csr' | 'server-key';
  commonName: string;
  serialNumber: string;
  fingerprintSha256: string;
  notAfter: string;
  downloads: { certificate?: { url: string }; p12?: { url: string }; pem?: { url: string } };
  p12Password?: string;
}

export interface Delivery {
  layout: FileLayout;
  api: string;
  timeoutMs: number;
  output: Output;
  now: Date;
  /** Trust anchors; 'bundle' on a first request with no ca.crt yet: the bundle's root is written as ca.crt. */
  trust: string[] | 'bundle';
  /** CSR mode: our key (in NAME.key.next, or NAME.key unchanged with --reuse-key). */
  csrKey?: { publicKey: KeyObject; kept: boolean };
  /** Renewal: the names must stay, and the certificate must be a new one. */
  names?: { commonName: string; sans: SubjectAltNames };
  previousSerialNumber?: string;
}

const isSelfSigned = (pem: string) => {
  const c = new X509Certificate(pem);
  return c.checkIssued(c);
};

export async function receiveCertificate(
  answer: CertificateAnswer,
  d: Delivery,
): Promise<{ info: CertificateInfo; written: string[] }> {
  const zipLink = answer.mode === 'csr' ? answer.downloads.certificate : answer.downloads.pem;
  if (!zipLink) throw new CliError(EXIT.VERIFICATION, 'ANSWER_INCOMPLETE', 'The API answer has no download link.');
  d.output.progress('Downloading the certificate bundle');
  const opened = openPemZip(await download(zipLink.url, d.timeoutMs));
  const bundle = opened.keyPem ? { ...opened, keyPem: plainKeyPem(opened.keyPem, answer.p12Password) } : opened;
  const roots = bundle.caPems.filter(isSelfSigned);
  const caPems = d.trust === 'bundle' ? (roots.length ? roots : bundle.caPems) : d.trust;
  if (caPems.length === 0)
    throw new CliError(
      EXIT.VERIFICATION,
      'CHAIN_UNTRUSTED',
      'No CA to check the certificate against: the bundle has no ca.crt.',
    );
  d.output.progress('Verifying the certificate');
  const expectation = {
    now: d.now,
    caPems,
    fingerprintSha256: answer.fingerprintSha256,
    publicKey: d.csrKey?.publicKey,
    commonName: d.names?.commonName,
    sans: d.names?.sans,
  };
  if (answer.mode === 'csr' && bundle.keyPem)
    throw new CliError(EXIT.VERIFICATION, 'BUNDLE_MALFORMED', 'A CSR-mode bundle must not carry a key.');
  const info = verifyChain(bundle.chainPems, bundle.keyPem, expectation);
  if (info.serialNumber === d.previousSerialNumber)
    throw new CliError(EXIT.VERIFICATION, 'NOT_RENEWED', 'The API answered with the certificate we already have.');

  let p12: { der: Buffer; password?: string } | undefined;
  if (answer.mode === 'server-key') {
    if (!answer.downloads.p12 || !answer.p12Password)
      throw new CliError(EXIT.VERIFICATION, 'ANSWER_INCOMPLETE', 'The API answer has no .p12 link or password.');
    d.output.progress('Downloading and opening the .p12');
    const der = await download(answer.downloads.p12.url, d.timeoutMs);
    const { leafPem } = openP12(der, answer.p12Password);
    if (new X509Certificate(leafPem).fingerprint256.replace(/:/g, '').toLowerCase() !== info.fingerprintSha256)
      throw new CliError(
        EXIT.VERIFICATION,
        'FINGERPRINT_MISMATCH',
        'The .p12 holds another certificate than the PEM bundle.',
      );
    p12 = { der, password: answer.p12Password };
  }
  const written = installCredentials(d.layout, {
    chainPems: bundle.chainPems,
    key: bundle.keyPem
      ? { kind: 'pem', pem: bundle.keyPem }
      : d.csrKey?.kept
        ? { kind: 'unchanged' }
        : { kind: 'next' },
    caPems: d.trust === 'bundle' ? caPems : undefined,
    state: stateFrom(
      info,
      { certificateId: answer.id, api: d.api, mode: answer.mode, generation: answer.generation },
      d.now,
    ),
    p12,
  });
  return { info, written };
}
