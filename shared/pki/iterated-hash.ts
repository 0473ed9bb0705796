/**
 * H applied n times to a digest-sized value, for the PKCS#12 KDF's inner loop. Such an input is always one
 * padded block, so each round is a single compression; doing it here instead of one native call per round
 * (about 2 µs of call overhead each) makes the 2048-round loop several times faster. Only add, rotate and xor
 * on 32-bit words: no table lookups, no data-dependent branches. Cross-checked against node:crypto in tests.
 */

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const SHA256_IV = new Uint32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const SHA1_IV = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);

function readWords(bytes: Buffer, count: number): Uint32Array {
  if (bytes.length !== count * 4) throw new RangeError(`expected ${count * 4} bytes`);
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) words[i] = bytes.readUInt32BE(i * 4);
  return words;
}

function writeWords(words: Uint32Array): Buffer {
  const out = Buffer.alloc(words.length * 4);
  for (let i = 0; i < words.length; i++) out.writeUInt32BE(words[i], i * 4);
  return out;
}

/** SHA-256 applied `times` times to a 32-byte value. */
export function iterateSha256(value: Buffer, times: number): Buffer {
  const digest = readWords(value, 8);
  const w = new Uint32Array(64);
  for (let round = 0; round < times; round++) {
    // The block: the 32-byte digest, 0x80, zeros, and the bit length 256.
    for (let i = 0; i < 8; i++) w[i] = digest[i];
    w[8] = 0x80000000;
    for (let i = 9; i < 15; i++) w[i] = 0;
    w[15] = 256;
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15];
      const y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = SHA256_IV[0],
      b = SHA256_IV[1],
      c = SHA256_IV[2],
      d = SHA256_IV[3];
    let e = SHA256_IV[4],
      f = SHA256_IV[5],
      g = SHA256_IV[6],
      h = SHA256_IV[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + SHA256_K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    digest[0] = SHA256_IV[0] + a;
    digest[1] = SHA256_IV[1] + b;
    digest[2] = SHA256_IV[2] + c;
    digest[3] = SHA256_IV[3] + d;
    digest[4] = SHA256_IV[4] + e;
    digest[5] = SHA256_IV[5] + f;
    digest[6] = SHA256_IV[6] + g;
    digest[7] = SHA256_IV[7] + h;
  }
  return writeWords(digest);
}

/** SHA-1 applied `times` times to a 20-byte value. */
export function iterateSha1(value: Buffer, times: number): Buffer {
  const digest = readWords(value, 5);
  const w = new Uint32Array(80);
  for (let round = 0; round < times; round++) {
    // The block: the 20-byte digest, 0x80, zeros, and the bit length 160.
    for (let i = 0; i < 5; i++) w[i] = digest[i];
    w[5] = 0x80000000;
    for (let i = 6; i < 15; i++) w[i] = 0;
    w[15] = 160;
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = SHA1_IV[0],
      b = SHA1_IV[1],
      c = SHA1_IV[2],
      d = SHA1_IV[3],
      e = SHA1_IV[4];
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    digest[0] = SHA1_IV[0] + a;
    digest[1] = SHA1_IV[1] + b;
    digest[2] = SHA1_IV[2] + c;
    digest[3] = SHA1_IV[3] + d;
    digest[4] = SHA1_IV[4] + e;
  }
  return writeWords(digest);
}
