/** PEM framing: strict decoding of labelled blocks and canonical encoding. */
import { PkiError, type PkiErrorCode } from './errors.js';

const BEGIN = '-----BEGIN ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9 ]{1,64}$/;

export interface PemBlock {
  label: string;
  der: Buffer;
  /** the block as canonical PEM (64-column base64, trailing newline) */
  pem: string;
}

export function derToPem(label: string, der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/**
 * All PEM blocks in the text, in order. Text between blocks is ignored (as OpenSSL does with comments), but a
 * BEGIN without its END, or a body that is not strict base64, is an error. A linear indexOf scan rather than
 * a regular expression: a lazy regex over hostile input (thousands of BEGIN lines) costs quadratic time.
 */
export function pemBlocks(text: string, code: PkiErrorCode = 'CERTIFICATE_MALFORMED'): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (let position = 0; ; ) {
    const begin = text.indexOf(BEGIN, position);
    if (begin < 0) return blocks;
    const labelStart = begin + BEGIN.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    if (labelEnd < 0) return blocks;
    const label = text.slice(labelStart, labelEnd);
    if (!LABEL.test(label)) {
      position = labelStart;
      continue;
    }
    const endMarker = `-----END ${label}-----`;
    const bodyStart = labelEnd + DASHES.length;
    const end = text.indexOf(endMarker, bodyStart);
    if (end < 0) throw new PkiError(code, `The PEM block "${label}" has no END line.`);
    const compact = text.slice(bodyStart, end).replace(/[\r\n\t ]/g, '');
    if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      throw new PkiError(code, `The PEM block "${label}" is not valid base64 PEM.`);
    }
    const der = Buffer.from(compact, 'base64');
    blocks.push({ label, der, pem: derToPem(label, der) });
    position = end + endMarker.length;
  }
}
