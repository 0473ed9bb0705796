/**
 * `npm run bench -- pki [--runs N]`: the cost of one finished bundle (key + CSR + CSR check + sign + .p12 +
 * PEM zip) for EC P-256 and RSA-2048, against the seed's openssl pipeline in the same run (genpkey, req -new,
 * x509 -req -CA, pkcs12 -export: four processes), then the event-loop lag while 20 RSA-2048 bundles are made
 * concurrently. Targets (issue 2): median <= 0.5x openssl for EC P-256, <= 1.0x for RSA-2048, lag p99 < 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import {
  buildCsr,
  buildPemBundleZip,
  buildPkcs12,
  createCertificateAuthority,
  generateKeyPair,
  generateP12Password,
  parseCsr,
  P12_PROFILES,
  signClientCertificate,
  type CaMaterial,
  type KeyAlgorithm,
  type P12PasswordOrigin,
  type P12Profile,
} from '../shared/pki/index.js';
import { opensslBundle, runProcess as run, writePipelineCa, type PipelineAlgorithm } from './openssl-pipeline.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
// RSA key generation time is heavy-tailed (random prime search) on both sides: twice the runs steady its median.
const RSA_RUNS = 2 * RUNS;
const WARMUP = 3;
const CONCURRENT = 20;
const DAY = 24 * 3600_000;

async function ourBundle(
  ca: CaMaterial,
  algorithm: KeyAlgorithm,
  profile: P12Profile,
  passwordOrigin: P12PasswordOrigin = 'generated',
): Promise<void> {
  const keyPair = await generateKeyPair(algorithm);
  const csr = await buildCsr({ keyPair, commonName: 'bench-client' });
  const parsed = await parseCsr(csr);
  const certificatePem = await signClientCertificate({
    publicKey: parsed.publicKey,
    commonName: parsed.commonName,
    sans: parsed.sans,
    notAfter: new Date(Date.now() + 365 * DAY),
    issuer: ca,
  });
  // What issuance does: the .p12 and the zip's encrypted client.key at the work factor of the password's origin.
  const password = passwordOrigin === 'generated' ? generateP12Password() : `Chosen-${generateP12Password()}`;
  await Promise.all([
    buildPkcs12({
      privateKey: keyPair.privateKey,
      certificatePem,
      chainPems: [ca.certificatePem],
      password,
      passwordOrigin,
      profile,
      friendlyName: 'bench-client',
    }),
    buildPemBundleZip({
      certificatePem,
      chainPems: [ca.certificatePem],
      privateKey: keyPair.privateKey,
      password,
      keyIterations: P12_PROFILES.modern.iterations[passwordOrigin],
      commonName: 'bench-client',
    }),
  ]);
}

async function time(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

const dir = mkdtempSync(join(tmpdir(), 'nma-bench-'));
try {
  const { stdout: version } = await run('openssl', ['version']);
  console.log(
    `shared/pki bundle benchmark: node ${process.version}, ${version.trim()}, ${cpus().length} CPU(s), ${RUNS} runs for EC and ${RSA_RUNS} for RSA (+${WARMUP} warm-up), interleaved`,
  );
  // Other processes skew absolute figures (and lag maxima); the ratios are measured side by side, so they hold better.
  console.log(
    `load average at start: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const ca = await createCertificateAuthority({
    commonName: 'Bench CA',
    keyAlgorithm: 'EC_P256',
    notAfter: new Date(Date.now() + 3650 * DAY),
  });
  writePipelineCa(dir, ca);

  const targets: Array<{ algorithm: PipelineAlgorithm; maxRatio: number }> = [
    { algorithm: 'EC_P256', maxRatio: 0.5 },
    { algorithm: 'RSA_2048', maxRatio: 1.0 },
  ];
  let allPass = true;
  console.log(
    '\none finished bundle (key + CSR + CSR check + sign + .p12 + PEM zip) vs openssl genpkey + req + x509 -req + pkcs12 -export',
  );
  console.log(
    'key        | ours modern: median  p90   | ours compat: median | openssl: median  p90  | ratio modern | target | result',
  );
  for (const { algorithm, maxRatio } of targets) {
    const modern: number[] = [];
    const compat: number[] = [];
    const openssl: number[] = [];
    const runs = algorithm.startsWith('RSA_') ? RSA_RUNS : RUNS;
    for (let i = 0; i < runs + WARMUP; i++) {
      const a = await time(() => ourBundle(ca, algorithm, 'modern'));
      const b = await time(() => ourBundle(ca, algorithm, 'compat'));
      const c = await time(() => opensslBundle(dir, algorithm, i));
      if (i >= WARMUP) {
        modern.push(a);
        compat.push(b);
        openssl.push(c);
      }
    }
    const ratio = median(modern) / median(openssl);
    const ok = ratio <= maxRatio;
    allPass &&= ok;
    console.log(
      `${algorithm.padEnd(10)} | ${ms(median(modern)).padStart(19)} ${ms(quantile(modern, 0.9)).padStart(9)} | ${ms(median(compat)).padStart(19)} | ${ms(median(openssl)).padStart(15)} ${ms(quantile(openssl, 0.9)).padStart(8)} | ${ratio.toFixed(2).padStart(11)}x | <= ${maxRatio.toFixed(1)}x | ${verdict(ok)}`,
    );
    console.log(
      `${''.padEnd(10)} | compat/openssl ratio: ${(median(compat) / median(openssl)).toFixed(2)}x (informational)`,
    );
    // A caller-chosen password gets 10,000 iterations (keytool's default) instead of 2,048: what that costs.
    const chosen: number[] = [];
    for (let i = 0; i < Math.min(runs, 10); i++)
      chosen.push(await time(() => ourBundle(ca, algorithm, 'modern', 'chosen')));
    console.log(
      `${''.padEnd(10)} | modern with a caller-chosen password (10,000 iterations): median ${ms(median(chosen))}, ${(median(chosen) / median(openssl)).toFixed(2)}x openssl (informational)`,
    );
  }

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENT }, () => ourBundle(ca, 'RSA_2048', 'modern')));
  const elapsed = performance.now() - start;
  histogram.disable();
  const p99 = histogram.percentile(99) / 1e6;
  const max = histogram.max / 1e6;
  const lagOk = p99 < 50;
  allPass &&= lagOk;
  console.log(
    `\n${CONCURRENT} RSA-2048 bundles (modern) concurrently: ${ms(elapsed)} total; event-loop lag p50 ${ms(histogram.percentile(50) / 1e6)}, p99 ${ms(p99)}, max ${ms(max)} | target p99 < 50 ms | ${verdict(lagOk)}`,
  );
  console.log(
    `load average at end: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  console.log(`\noverall: ${verdict(allPass)}`);
  process.exitCode = allPass ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
