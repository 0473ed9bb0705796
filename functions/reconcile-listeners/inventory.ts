/**
 * The client certificates this project issued that a client may still present: every record's current
 * generation and its earlier, unrevoked, unexpired generations (a renewed client may not have switched yet).
 * Records come from the bucket; the public certificates from the private CA. Read only when a CA would change.
 */
import type { ClientCertificate } from '../../shared/domain/client-certificate.js';
import type { Clock, ObjectStore } from '../../shared/domain/ports.js';
import type { ActiveClientCertificate, ClientCertificateInventory } from '../../shared/domain/listeners/ports.js';
import { mapWithConcurrency } from '../../shared/async/concurrency.js';
import { RECORDS_PREFIX } from '../../shared/certificates/ids.js';
import { listAllKeys } from '../../shared/certificates/storage.js';
import type { PcaReads } from './pca-reads.js';

const READ_CONCURRENCY = 8;

export function createClientCertificateInventory(deps: {
  store: ObjectStore;
  pca: Pick<PcaReads, 'getClientCertificate'>;
  clock: Clock;
}): ClientCertificateInventory {
  return {
    async listActive(): Promise<ActiveClientCertificate[]> {
      const now = deps.clock.now().getTime();
      const keys = (await listAllKeys(deps.store, RECORDS_PREFIX)).filter((k) => k.endsWith('.json'));
      const records = await mapWithConcurrency(keys, READ_CONCURRENCY, async (key) => {
        const body = await deps.store.get(key);
        return body ? (JSON.parse(body.toString('utf8')) as ClientCertificate) : undefined;
      });
      const live: Array<{ id: string; commonName: string; casIdentifier: string }> = [];
      for (const r of records) {
        if (!r || r.status !== 'ACTIVE') continue;
        if (Date.parse(r.current.notAfter) > now)
          live.push({ id: r.id, commonName: r.commonName, casIdentifier: r.current.casIdentifier });
        for (const p of r.previous ?? []) {
          const revoked = (p as { revokedAt?: string }).revokedAt;
          if (!revoked && Date.parse(p.notAfter) > now)
            live.push({ id: `${r.id}#g${p.generation}`, commonName: r.commonName, casIdentifier: p.casIdentifier });
        }
      }
      const described = await mapWithConcurrency(live, READ_CONCURRENCY, async (c) => {
        const issued = await deps.pca.getClientCertificate(c.casIdentifier);
        if (!issued || issued.status !== 'ISSUE') return undefined;
        return {
          id: c.id,
          commonName: c.commonName,
          certificatePem: issued.certificatePem,
          intermediatePems: issued.chainPems,
        };
      });
      return described.filter((c): c is ActiveClientCertificate => c !== undefined);
    },
  };
}
