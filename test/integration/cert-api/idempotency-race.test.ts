/**
 * Twins of one request (same Idempotency-Key, same body) arriving together, and a retry sent while the first
 * is still making its key: every answer is the winner's certificate, never a 502, and CAS issues exactly one.
 */
import { startCertApiHarness, type ApiAnswer, type CertApiHarness } from './harness.js';

let api: CertApiHarness;

beforeAll(async () => {
  // RSA keys (their generation is slow enough for the twins to overlap): the PCA must be RSA as well.
  api = await startCertApiHarness({ emulator: { caKeyAlgorithm: 'RSA_2048' } });
});

afterAll(() => api?.close());

const casCertificatesFor = (commonName: string) =>
  api.emulator.cas.listClientCertificates().filter((c) => JSON.stringify(c).includes(commonName)).length;

/** The answer without its links, which are signed afresh for every answer. */
const withoutLinks = (answer: ApiAnswer) => ({ status: answer.status, ...answer.json, downloads: undefined });

describe('concurrent requests with one Idempotency-Key', () => {
  it('gives all six twins the same 201 and makes one certificate', async () => {
    // prepare
    const commonName = 'race-1.devices.example.com';
    const request = {
      method: 'POST',
      path: '/v1/certificates',
      headers: { 'idempotency-key': 'race-1' },
      body: { commonName, keyAlgorithm: 'RSA_2048' },
    };
    // act
    const answers = await Promise.all(Array.from({ length: 6 }, () => api.call(request)));
    // assess
    expect(answers.map((a) => [a.status, a.json.code])).toEqual(Array.from({ length: 6 }, () => [201, undefined]));
    const first = withoutLinks(answers[0]);
    expect(first.p12Password).toEqual(expect.any(String));
    for (const answer of answers) expect(withoutLinks(answer)).toEqual(first);
    expect(casCertificatesFor(commonName)).toBe(1);
  });

  it('gives a retry sent while the first still makes its key the same certificate', async () => {
    // prepare
    const commonName = 'race-2.devices.example.com';
    const request = {
      method: 'POST',
      path: '/v1/certificates',
      headers: { 'idempotency-key': 'race-2' },
      body: { commonName, keyAlgorithm: 'RSA_4096' },
    };
    // A twin waits for the first request up to 10 s (DEFAULT_TIMING.twinWaitMs), then answers a retryable 409
    // IDEMPOTENT_REQUEST_IN_PROGRESS. An RSA-4096 key on a loaded machine can take longer than that, so the retry
    // does what that answer tells a client to do: it asks again, until it gets an answer that is not 409.
    const retryUntilAnswered = async () => {
      for (let tries = 0; tries < 4; tries += 1) {
        const answer = await api.call(request);
        if (answer.status !== 409) return answer;
        expect(answer.json.code).toBe('IDEMPOTENT_REQUEST_IN_PROGRESS');
      }
      throw new Error('the retry was still answered 409 after 4 tries');
    };
    // act
    const original = api.call(request);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [first, retry] = await Promise.all([original, retryUntilAnswered()]);
    // assess
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(withoutLinks(retry)).toEqual(withoutLinks(first));
    expect(casCertificatesFor(commonName)).toBe(1);
  });
});
