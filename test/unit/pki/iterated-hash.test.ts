import { createHash, randomBytes } from 'node:crypto';
import { iterateSha1, iterateSha256 } from '../../../shared/pki/iterated-hash.js';

function nativeIterate(algorithm: string, value: Buffer, times: number): Buffer {
  let out = value;
  for (let i = 0; i < times; i++) out = createHash(algorithm).update(out).digest();
  return out;
}

describe.each([
  ['sha1', iterateSha1, 20],
  ['sha256', iterateSha256, 32],
] as const)('%s iterated in JS', (algorithm, iterate, size) => {
  it.each([0, 1, 2, 3, 100, 2047])('equals node:crypto applied %i times', (times) => {
    // prepare: a fixed value and a random one
    for (const value of [Buffer.alloc(size, 0xa5), randomBytes(size)]) {
      // act + assess
      expect(iterate(value, times).toString('hex')).toBe(nativeIterate(algorithm, value, times).toString('hex'));
    }
  });

  it('refuses an input that is not digest-sized', () => {
    expect(() => iterate(Buffer.alloc(size + 1), 1)).toThrow(RangeError);
  });
});
