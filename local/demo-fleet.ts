/**
 * Why: a fleet worth looking at on the local stack, for the console's browser test and its screenshot
 * (`npm run console:screenshot`, docs/console.md). Certificates are issued through the API like any client would;
 * "due" ones get their renewal time moved a minute back in the bucket, as the renewal tests do (the emulated CA
 * cannot backdate a certificate); listeners are reconciled by the stack's own reconcile-listeners function.
 */
import { writeFileSync } from 'node:fs';
import { createOssObjectStore } from '../shared/alibaba/oss-store.js';
import type { ClientCertificate } from '../shared/domain/client-certificate.js';
import type { ObjectStore } from '../shared/domain/ports.js';
import { renewalIndexKey } from '../shared/domain/renewal/schedule.js';
import type { LocalStack } from './stack.js';

export interface DemoCertificate {
  commonName: string;
  validityDays?: number;
  autoRenew?: boolean;
  labels?: Record<string, string>;
}

export interface IssuedDemoCertificate {
  id: string;
  commonName: string;
  generation: number;
  serialNumber: string;
}

/** Issues the certificates through `POST /v1/certificates` (EC P-256: fast), a few at a time. */
export async function issueDemoCertificates(
  stack: LocalStack,
  certificates: DemoCertificate[],
  concurrency = 4,
): Promise<IssuedDemoCertificate[]> {
  const out: IssuedDemoCertificate[] = new Array(certificates.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, certificates.length) }, async () => {
      while (next < certificates.length) {
        const i = next++;
        const c = certificates[i];
        const response = await fetch(`${stack.apiUrl}/v1/certificates`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ keyAlgorithm: 'EC_P256', ...c }),
        });
        const body = (await response.json()) as IssuedDemoCertificate & { code?: string };
        if (response.status !== 201) throw new Error(`issuing ${c.commonName}: ${response.status} ${body.code}`);
        out[i] = {
          id: body.id,
          commonName: body.commonName,
          generation: body.generation,
          serialNumber: body.serialNumber,
        };
      }
    }),
  );
  return out;
}

/** The stack's bucket, as the functions see it. */
export function stackStore(stack: LocalStack): ObjectStore {
  const e = stack.stackInfo.emulator;
  return createOssObjectStore({
    endpoint: e.ossEndpoint,
    bucket: e.bucket,
    credentials: { accessKeyId: e.accessKeyId, accessKeySecret: e.accessKeySecret },
    region: e.region,
  });
}

/** Makes the certificates due now: their renewal time (record and renewal index) a minute in the past. */
export async function makeDue(stack: LocalStack, ids: string[]): Promise<void> {
  const store = stackStore(stack);
  const renewAt = new Date(Date.now() - 60_000);
  for (const id of ids) {
    const body = await store.get(`records/${id}.json`);
    if (!body) throw new Error(`no record for ${id}`);
    const record = JSON.parse(body.toString('utf8')) as ClientCertificate;
    await store.delete(renewalIndexKey(new Date(record.renewal.renewAt), id));
    record.renewal = { ...record.renewal, renewAt: renewAt.toISOString() };
    await store.put(`records/${id}.json`, JSON.stringify(record), { contentType: 'application/json' });
    await store.put(renewalIndexKey(renewAt, id), '');
  }
}

/**
 * Declares the emulator's seeded listeners (mutual auth on, default CA, their server certificate) in `file`, the
 * DESIRED_STATE_FILE the stack's reconcile-listeners was started with: the first can be switched on and proved by
 * a handshake, the second breaks the manual's rule on client-IP preservation and is reported blocked.
 */
export function declareSeededListeners(stack: LocalStack, file: string): void {
  const blocks = stack.stackInfo.listeners.map((l) => {
    const listener = stack.emulator.nlb.getListener(l.listenerId);
    const [certId] = (listener?.CertificateIds?.[0] ?? '0').split('-');
    return [
      `  - region: ${stack.stackInfo.emulator.region}`,
      `    listenerId: ${l.listenerId}`,
      `    mutualAuth: on`,
      `    ca: default`,
      `    serverCertificate: { certId: ${certId} }`,
      `    securityPolicy: ${listener?.SecurityPolicyId ?? 'tls_cipher_policy_1_2'}`,
      `    probe: { host: ${l.host}, port: ${l.port}, address: 127.0.0.1 }`,
    ].join('\n');
  });
  writeFileSync(file, ['version: 1', 'listeners:', ...blocks, ''].join('\n'));
}
