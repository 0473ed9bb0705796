/**
 * The PKCS#12 key derivation of RFC 7292 appendix B.2: used for the MAC key of every profile and for the 3DES
 * key and IV of the compat profile. Node has no native form of it, so each round is one `node:crypto` hash call
 * (`crypto.hash`, the one-shot form, where the runtime has it); the loop yields to the event loop every
 * `ROUNDS_PER_SLICE` rounds so a 10,000-round derivation never blocks other requests for long.
 */
import * as crypto from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export type Pkcs12KdfHash = 'sha1' | 'sha256';

/** ID byte of the derivation: 1 = encryption key, 2 = IV, 3 = MAC key. */
export type Pkcs12KdfPurpose = 1 | 2 | 3;

const OUTPUT_BYTES: Record<Pkcs12KdfHash, number> = { sha1: 20, sha256: 32 };
const BLOCK_BYTES = 64; // v: the input block size of SHA-1 and SHA-256
/** About 1-2 ms of hashing between two turns of the event loop. */
const ROUNDS_PER_SLICE = 1024;

type OneShotHash = (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer;
// `crypto.hash` (Node 20.12+) skips the Hash object per round: about twice as fast as createHash for 32 bytes.
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
const digest: (algorithm: Pkcs12KdfHash, data: Buffer) => Buffer = oneShot
  ? (algorithm, data) => oneShot(algorithm, data, 'buffer')
  : (algorithm, data) => crypto.createHash(algorithm).update(data).digest();

/** H applied `times` more times to `value`, yielding to the event loop between slices. */
async function iterateHash(algorithm: Pkcs12KdfHash, value: Buffer, times: number): Promise<Buffer> {
  let out = value;
  for (let done = 0; done < times; ) {
    const slice = Math.min(ROUNDS_PER_SLICE, times - done);
    for (let i = 0; i < slice; i++) out = digest(algorithm, out);
    done += slice;
    if (done < times) await yieldToEventLoop();
  }
  return out;
}

/** The password as PKCS#12 wants it: BMPString (UTF-16BE) with a two-byte zero terminator. */
export function bmpPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
}

function repeatToMultipleOfBlock(source: Buffer): Buffer {
  if (source.length === 0) return Buffer.alloc(0);
  const length = BLOCK_BYTES * Math.ceil(source.length / BLOCK_BYTES);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i % source.length];
  return out;
}

export async function pkcs12Kdf(input: {
  hash: Pkcs12KdfHash;
  password: string;
  salt: Buffer;
  purpose: Pkcs12KdfPurpose;
  iterations: number;
  length: number;
}): Promise<Buffer> {
  if (!Number.isInteger(input.iterations) || input.iterations < 1)
    throw new RangeError('iterations must be a positive integer');
  const u = OUTPUT_BYTES[input.hash];
  const diversifier = Buffer.alloc(BLOCK_BYTES, input.purpose);
  const I = Buffer.concat([repeatToMultipleOfBlock(input.salt), repeatToMultipleOfBlock(bmpPassword(input.password))]);
  const blocks = Math.ceil(input.length / u);
  const output: Buffer[] = [];
  for (let block = 0; block < blocks; block++) {
    const first = digest(input.hash, Buffer.concat([diversifier, I]));
    const A = await iterateHash(input.hash, first, input.iterations - 1);
    output.push(A);
    if (block + 1 < blocks) {
      // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j, with B = A repeated to v bytes.
      const B = repeatToMultipleOfBlock(A).subarray(0, BLOCK_BYTES);
      for (let j = 0; j < I.length; j += BLOCK_BYTES) {
        let carry = 1;
        for (let k = BLOCK_BYTES - 1; k >= 0; k--) {
          const sum = I[j + k] + B[k] + carry;
          I[j + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
      await yieldToEventLoop();
    }
  }
  return Buffer.concat(output).subarray(0, input.length);
}
