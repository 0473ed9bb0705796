/**
 * The seed's manual procedure as the benchmarks' yardstick: one client bundle made with four openssl processes
 * (genpkey, req -new, x509 -req -CA, pkcs12 -export), in a directory that holds the CA as `ca.crt` / `ca.key`.
 * Kept apart from bench/pki.ts and bench/issue.ts, which run when imported.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateP12Password, type CaMaterial } from '../shared/pki/index.js';

/** The key types both benchmarks compare. */
export type PipelineAlgorithm = 'EC_P256' | 'RSA_2048';

export const runProcess = promisify(execFile);

/** Writes the CA the pipeline signs with into `dir`. */
export function writePipelineCa(dir: string, ca: CaMaterial): void {
  writeFileSync(join(dir, 'ca.crt'), ca.certificatePem);
  writeFileSync(join(dir, 'ca.key'), ca.privateKey.export({ type: 'pkcs8', format: 'pem' }));
}

/** Bundle number `i`: its files are `<dir>/<i>-client.{key,csr,crt,p12}`. */
export async function opensslBundle(dir: string, algorithm: PipelineAlgorithm, i: number): Promise<void> {
  const p = (name: string) => join(dir, `${i}-${name}`);
  const keyArgs =
    algorithm === 'EC_P256'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  await runProcess('openssl', ['genpkey', ...keyArgs, '-out', p('client.key')]);
  await runProcess('openssl', [
    'req',
    '-new',
    '-key',
    p('client.key'),
    '-subj',
    '/CN=bench-client',
    '-out',
    p('client.csr'),
  ]);
  await runProcess('openssl', [
    'x509',
    '-req',
    '-in',
    p('client.csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-CAserial',
    join(dir, 'ca.srl'),
    '-days',
    '365',
    '-out',
    p('client.crt'),
  ]);
  await runProcess('openssl', [
    'pkcs12',
    '-export',
    '-in',
    p('client.crt'),
    '-inkey',
    p('client.key'),
    '-certfile',
    join(dir, 'ca.crt'),
    '-name',
    'bench-client',
    '-out',
    p('client.p12'),
    '-passout',
    `pass:${generateP12Password()}`,
  ]);
}
