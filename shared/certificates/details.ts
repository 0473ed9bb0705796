/**
 * Why: an operator looking at one certificate (the console's detail view, `GET /v1/certificates/{id}/details`)
 * wants what the record alone does not show: the chain the client presents and trusts, and every generation it
 * went through. The chain is read from the current bundle's zip (`client.crt`, `ca.crt`; `client.key` is never
 * opened), so it is exactly what the owner downloaded; the history comes from the record. Same gates as a read:
 * the `read` operation, the tenant and the token's name policy (404 otherwise, like an unknown id).
 */
import { strFromU8, unzipSync } from 'fflate';
import { auditedRead } from '../auth/audited-read.js';
import { requireOperation } from '../auth/decisions.js';
import { canSee, type Principal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { ObjectStore } from '../domain/ports.js';
import { NotFoundError } from '../errors/index.js';
import { errorFields, type Logger } from '../log/index.js';
import { inspectCertificate, splitPemCertificates } from '../pki/index.js';
import { assertCertificateId, isCertificateId } from './ids.js';
import { readRecord } from './records.js';

export interface ChainCertificate {
  role: 'leaf' | 'intermediate' | 'root';
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  pem: string;
}

export interface GenerationHistoryItem {
  generation: number;
  serialNumber: string;
  notAfter: string;
  current: boolean;
  notBefore?: string;
  issuedAt?: string;
  fingerprintSha256?: string;
  revokedAt?: string;
}

export interface CertificateDetails {
  id: string;
  commonName: string;
  generation: number;
  /** Leaf first, root last; empty when the bundle is gone (`chainUnavailable` says why). */
  chain: ChainCertificate[];
  chainUnavailable?: 'bundle-deleted' | 'bundle-unreadable';
  /** Newest first: the current generation, then the earlier ones the record keeps (at most 10). */
  history: GenerationHistoryItem[];
}

export interface CertificateDetailsReads {
  /** `log`: where the audit line goes (a request's child logger); default the one given at creation. */
  details(principal: Principal, id: string, log?: Logger): Promise<CertificateDetails>;
}

const ZIP_CHAIN_FILES = new Set(['client.crt', 'ca.crt']);
const MAX_ENTRY_BYTES = 256 * 1024;

function chainFromZip(zip: Buffer): ChainCertificate[] {
  const files = unzipSync(new Uint8Array(zip), {
    filter: (f) => ZIP_CHAIN_FILES.has(f.name) && f.originalSize <= MAX_ENTRY_BYTES,
  });
  const pems = [
    ...splitPemCertificates(strFromU8(files['client.crt'] ?? new Uint8Array())),
    ...splitPemCertificates(strFromU8(files['ca.crt'] ?? new Uint8Array())),
  ];
  const seen = new Set<string>();
  const chain: ChainCertificate[] = [];
  for (const pem of pems) {
    const info = inspectCertificate(pem);
    if (seen.has(info.fingerprintSha256)) continue;
    seen.add(info.fingerprintSha256);
    chain.push({
      role: chain.length === 0 ? 'leaf' : info.subject === info.issuer && info.isCa ? 'root' : 'intermediate',
      subject: info.subject,
      issuer: info.issuer,
      serialNumber: info.serialNumber,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      fingerprintSha256: info.fingerprintSha256,
      pem,
    });
  }
  return chain;
}

function historyOf(record: ClientCertificate): GenerationHistoryItem[] {
  const c = record.current;
  return [
    {
      generation: c.generation,
      serialNumber: c.serialNumber,
      notAfter: c.notAfter,
      current: true,
      notBefore: c.notBefore,
      issuedAt: c.issuedAt,
      fingerprintSha256: c.fingerprintSha256,
      ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
    },
    ...record.previous.map((p) => ({
      generation: p.generation,
      serialNumber: p.serialNumber,
      notAfter: p.notAfter,
      current: false,
      ...(p.revokedAt ? { revokedAt: p.revokedAt } : {}),
    })),
  ];
}

export function createCertificateDetailsReads(deps: { store: ObjectStore; log: Logger }): CertificateDetailsReads {
  const { store } = deps;
  return {
    details: (principal, id, log = deps.log) =>
      auditedRead(
        log,
        { action: 'certificate.read', principal, ...(isCertificateId(id) ? { certificateId: id } : {}) },
        async () => {
          requireOperation(principal, 'read');
          assertCertificateId(id);
          const record = await readRecord(store, id);
          if (!record || !canSee(principal, record)) throw new NotFoundError();
          const zipKey = record.current.bundle.pem ?? record.current.bundle.certificate;
          const zip = zipKey ? await store.get(zipKey) : null;
          let chain: ChainCertificate[] = [];
          let chainUnavailable: CertificateDetails['chainUnavailable'];
          if (!zip) chainUnavailable = 'bundle-deleted';
          else {
            try {
              chain = chainFromZip(zip);
            } catch (err) {
              log.warn('bundle unreadable: details without a chain', { ...errorFields(err), certificateId: id });
              chainUnavailable = 'bundle-unreadable';
            }
          }
          return {
            id: record.id,
            commonName: record.commonName,
            generation: record.current.generation,
            chain,
            ...(chainUnavailable ? { chainUnavailable } : {}),
            history: historyOf(record),
          };
        },
      ),
  };
}
