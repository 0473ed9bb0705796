/** PEM framing: strict decoding of labelled blocks and canonical encoding. */
import { PkiError } from './errors.js';

export interface PemBlock {
  label: string;
  der: Buffer;
  /** the block as canonical PEM (64-column base64, trailing newline) */
  pem: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----([\s\S]*?)-----END ([A-Z0-9 ]{1,64})-----/g;

export function derToPem(label: string, der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/**
 * All PEM blocks in the text, in order. Text between blocks is ignored (as OpenSSL does with comments), but a
 * block whose body is not strict base64 or whose END label differs is an error.
 */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match;
    const compact = body.replace(/[\r\n\t ]/g, '');
    if (label !== endLabel || compact.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new PkiError(label.includes('REQUEST') ? 'CSR_MALFORMED' : 'CERTIFICATE_MALFORMED', `The PEM block "${label}" is not valid base64 PEM.`);
    }
    const der = Buffer.from(compact, 'base64');
    blocks.push({ label, der, pem: derToPem(label, der) });
  }
  return blocks;
}
