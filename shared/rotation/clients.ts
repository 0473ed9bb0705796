/**
 * The client certificates a CA rotation is about: every ACTIVE, unexpired record this project issued whose
 * current certificate chains to the CA the listeners trust today. Not the reconciler's or a rotation's own canary
 * (the rotation keeps its own), and not a successor (it already chains to the new CA). Records come from the
 * bucket, the certificates from the private CA (one read per record; a rotation is rare).
 */
import type { ClientCertificate } from '../domain/client-certificate.js';
import { RECORDS_PREFIX } from '../certificates/ids.js';
import { listAllKeys } from '../certificates/storage.js';
import { readRecord } from '../certificates/records.js';
import { mapWithConcurrency } from '../async/concurrency.js';
import type { RotationDeps } from './context.js';

const READS_AT_ONCE = 8;
export const ROTATION_LABEL = 'rotation';
export const SUCCESSOR_OF_LABEL = 'successor-of';
const CANARY_PURPOSES = new Set(['reconcile-canary', 'rotation-canary']);

export interface RotationClient {
  record: ClientCertificate;
  certificatePem: string;
}

async function recordIds(deps: Pick<RotationDeps, 'store'>): Promise<string[]> {
  return (await listAllKeys(deps.store, RECORDS_PREFIX))
    .filter((key) => key.endsWith('.json'))
    .map((key) => key.slice(RECORDS_PREFIX.length, -'.json'.length));
}

export function isRotationSubject(record: ClientCertificate, now: Date): boolean {
  if (record.status !== 'ACTIVE' || Date.parse(record.current.notAfter) <= now.getTime()) return false;
  if (CANARY_PURPOSES.has(record.labels?.purpose ?? '')) return false;
  return record.labels?.[SUCCESSOR_OF_LABEL] === undefined;
}

/**
 * Active clients whose current certificate chains to `caPem`. `intermediates`: CA certificates to try when CAS
 * answers a certificate without its chain (CertChain is absent in older API models, audit D14).
 */
export async function clientsUnder(
  deps: Pick<RotationDeps, 'store' | 'pca' | 'chainsTo' | 'clock'>,
  caPem: string,
  intermediates: string[] = [],
): Promise<RotationClient[]> {
  const now = deps.clock.now();
  const ids = await recordIds(deps);
  const found = await mapWithConcurrency(ids, READS_AT_ONCE, async (id) => {
    const record = await readRecord(deps.store, id);
    if (!record || !isRotationSubject(record, now)) return undefined;
    const issued = await deps.pca.getClientCertificate(record.current.casIdentifier);
    if (!issued || issued.status !== 'ISSUE') return undefined;
    if (!deps.chainsTo(issued.certificatePem, [...issued.chainPems, ...intermediates], caPem)) return undefined;
    return { record, certificatePem: issued.certificatePem };
  });
  return found.filter((c): c is RotationClient => c !== undefined);
}
