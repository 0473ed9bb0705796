/**
 * `npm run bench -- issue [--runs N] [--rounds N]`: `POST /v1/certificates` end to end over HTTP through the local
 * runner and the emulator (CAS PCA signing, OSS writes, signed links), sequential and 20 concurrent, for EC P-256
 * and RSA-2048, against the seed's openssl pipeline for the same key type in the same run (genpkey, req -new,
 * x509 -req -CA, pkcs12 -export: four processes; bench/openssl-pipeline.ts, shared with bench/pki.ts).
 * Targets (issue 4): sequential median <= 1.0x the openssl pipeline; concurrent RSA-2048 throughput >= 70% of
 * what native RSA-2048 key generation alone reaches on this machine with the same concurrency.
 */
import { generateKeyPair } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { startLocalStack } from '../local/stack.js';
import { setLogSink } from '../shared/log/index.js';
import { createCertificateAuthority } from '../shared/pki/index.js';
import {
  opensslBundle,
  runProcess as run,
  writePipelineCa,
  type PipelineAlgorithm as Algorithm,
} from './openssl-pipeline.js';

const generate = promisify(generateKeyPair);
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 20);
const ROUNDS = arg('--rounds', 3); // total concurrent requests = ROUNDS x 20
const WARMUP = 3;
const CONCURRENT = 20;
const DAY = 86_400_000;

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.9))];
const ms = (n: number) => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// The functions' JSON logs would drown the figures: keep only errors, on stderr.
setLogSink((line) => {
  if (line.includes('"level":"error"')) process.stderr.write(`${line}\n`);
});
const dir = mkdtempSync(join(tmpdir(), 'nma-bench-'));
// CAS certifies only keys of its sub-CA's family: one stack with an EC PCA, one with an RSA PCA. The benchmark
// measures issuance, not the per-token rate limit and daily quota (docs/security.md), so both are raised.
const benchEnv = { RATE_LIMIT_PER_MINUTE: '100000', ISSUANCE_QUOTA_PER_DAY: '1000000' };
const stacks = {
  EC_P256: await startLocalStack({
    functions: ['cert-api'],
    env: benchEnv,
    emulatorOptions: { jobDelayMs: 50, caKeyAlgorithm: 'ECC_256' },
  }),
  RSA_2048: await startLocalStack({
    functions: ['cert-api'],
    env: benchEnv,
    emulatorOptions: { jobDelayMs: 50, caKeyAlgorithm: 'RSA_2048' },
  }),
};
try {
  const { stdout: version } = await run('openssl', ['version']);
  console.log(
    `cert-api issue benchmark: node ${process.version}, ${version.trim()}, ${cpus().length} CPU(s); ${RUNS} sequential runs each (+${WARMUP} warm-up, interleaved with openssl), ${ROUNDS * CONCURRENT} requests with ${CONCURRENT} in flight`,
  );
  const ca = await createCertificateAuthority({
    commonName: 'Bench CA',
    keyAlgorithm: 'RSA_2048',
    notAfter: new Date(Date.now() + 3650 * DAY),
  });
  writePipelineCa(dir, ca);

  let n = 0;
  let retries = 0;
  // As a well-behaved client: an Idempotency-Key per certificate, and a retry of a retryable 503 with the same key.
  const issue = async (keyAlgorithm: Algorithm) => {
    const stack = stacks[keyAlgorithm];
    n += 1;
    const body = JSON.stringify({ commonName: `bench-${n}.example.com`, keyAlgorithm, validityDays: 30 });
    const idempotencyKey = `bench-${process.pid}-${n}`;
    for (let attempt = 1; ; attempt += 1) {
      const answer = await fetch(`${stack.apiUrl}/v1/certificates`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.devToken}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body,
      });
      const text = await answer.text();
      if (answer.status === 201) return;
      if (answer.status !== 503 || attempt >= 3)
        throw new Error(`POST /v1/certificates answered ${answer.status}: ${text}`);
      retries += 1;
    }
  };

  let allPass = true;
  console.log(
    '\nsequential: one POST /v1/certificates (key, CSR, CAS over RPC, verify, .p12 + PEM zip, OSS writes, links; with an Idempotency-Key) vs the openssl pipeline',
  );
  console.log('key        | API: median      p90 | openssl: median    p90 | ratio | target  | result');
  for (const algorithm of ['EC_P256', 'RSA_2048'] as const) {
    const api: number[] = [];
    const openssl: number[] = [];
    for (let i = 0; i < RUNS + WARMUP; i += 1) {
      const a = await time(() => issue(algorithm));
      const b = await time(() => opensslBundle(dir, algorithm, i));
      if (i >= WARMUP) {
        api.push(a);
        openssl.push(b);
      }
    }
    const ratio = median(api) / median(openssl);
    const ok = ratio <= 1.0;
    allPass &&= ok;
    console.log(
      `${algorithm.padEnd(10)} | ${ms(median(api)).padStart(15)} ${ms(p90(api)).padStart(8)} | ${ms(median(openssl)).padStart(15)} ${ms(p90(openssl)).padStart(7)} | ${ratio.toFixed(2).padStart(4)}x | <= 1.0x | ${verdict(ok)}`,
    );
  }

  console.log(
    `\nconcurrent: ${CONCURRENT} requests kept in flight (closed loop) until ${ROUNDS * CONCURRENT} are done`,
  );
  // A closed loop keeps 20 in flight all the time, so key generation and the rest of the work overlap as they
  // would under steady load (rounds of Promise.all would idle the CPU at the tail of every round).
  const throughput = async (work: () => Promise<unknown>, warmUp = true) => {
    const total = ROUNDS * CONCURRENT;
    if (warmUp) await Promise.all(Array.from({ length: CONCURRENT }, work));
    let started = 0;
    const worker = async () => {
      while (started < total) {
        started += 1;
        await work();
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
    return total / ((performance.now() - start) / 1000);
  };
  const ecRate = await throughput(() => issue('EC_P256'));
  console.log(`EC_P256    | API ${ecRate.toFixed(1)} certificates/s (informational)`);
  // Key generation alone and the API alternate three times and the medians are compared, so a burst of load from
  // elsewhere on the machine does not decide the verdict.
  const keygenRates: number[] = [];
  const apiRates: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    keygenRates.push(await throughput(() => generate('rsa', { modulusLength: 2048 }), i === 0));
    apiRates.push(await throughput(() => issue('RSA_2048'), i === 0));
  }
  const keygenRate = median(keygenRates);
  const rsaRate = median(apiRates);
  const share = rsaRate / keygenRate;
  const ok = share >= 0.7;
  allPass &&= ok;
  const list = (rates: number[]) => rates.map((r) => r.toFixed(1)).join(', ');
  console.log(
    `RSA_2048   | API ${rsaRate.toFixed(1)} certificates/s [${list(apiRates)}] vs native key generation alone ${keygenRate.toFixed(1)} keys/s [${list(keygenRates)}] = ${(share * 100).toFixed(0)}% (medians) | target >= 70% | ${verdict(ok)}`,
  );

  const issuedInCas = Object.values(stacks).reduce((sum, s) => sum + s.emulator.cas.listClientCertificates().length, 0);
  console.log(
    `\nrequests: ${n} certificates asked for, ${issuedInCas} issued by the emulated CAS, ${retries} retries after a retryable 503`,
  );
  if (issuedInCas !== n) {
    allPass = false;
    console.log('FAIL: the CAS issued a different number of certificates than were asked for');
  }
  console.log(`\noverall: ${verdict(allPass)}`);
  process.exitCode = allPass ? 0 : 1;
} finally {
  for (const stack of Object.values(stacks)) await stack.close();
  rmSync(dir, { recursive: true, force: true });
}
