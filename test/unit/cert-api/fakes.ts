/**
 * In-memory stand-ins for the CA and the clock, for unit tests of the service's logic (the emulator covers the wire).
 * The CA really signs (shared/pki) and keeps ClientToken idempotency like CAS. The object store fake is the shared
 * one (test/helpers/memory-object-store.ts), re-exported here for the service tests.
 */
import {
  createCertificateAuthority,
  parseCsr,
  signClientCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import type {
  CaCertificate,
  CertificateAuthority,
  IssuedCertificate,
  IssueWithCsrRequest,
} from '../../../shared/domain/ports.js';
import { inspectCertificate } from '../../../shared/pki/index.js';

export { MemoryObjectStore, StoreFault, type StoreOperation } from '../../helpers/memory-object-store.js';

export interface FakeCa extends CertificateAuthority {
  readonly root: CaMaterial;
  readonly subCa: CaMaterial;
  /** Certificates actually signed (token replays do not count). */
  issuedCount(): number;
  calls: { issueWithCsr: number; revoke: number; getCaCertificate: number };
  revoked: Set<string>;
  failNextIssue(error: Error): void;
}

export async function createFakeCa(): Promise<FakeCa> {
  const now = Date.now();
  const root = await createCertificateAuthority({
    commonName: 'Test Root CA',
    notAfter: new Date(now + 3650 * 86_400_000),
  });
  const subCa = await createCertificateAuthority({
    commonName: 'Test Client Sub CA',
    issuer: root,
    notAfter: new Date(now + 1825 * 86_400_000),
    pathLength: 0,
  });
  const byToken = new Map<string, Promise<IssuedCertificate>>();
  const revoked = new Set<string>();
  const pendingErrors: Error[] = [];
  let counter = 0;
  const calls = { issueWithCsr: 0, revoke: 0, getCaCertificate: 0 };
  return {
    root,
    subCa,
    calls,
    revoked,
    issuedCount: () => counter,
    failNextIssue: (error) => pendingErrors.push(error),
    async issueWithCsr(request: IssueWithCsrRequest): Promise<IssuedCertificate> {
      calls.issueWithCsr += 1;
      const error = pendingErrors.shift();
      if (error) throw error;
      // Like CAS: the same ClientToken gives the same certificate, also while the first call is still running.
      const known = byToken.get(request.clientToken);
      if (known) return known;
      const work = (async () => {
        const csr = await parseCsr(request.csrPem);
        const certificatePem = await signClientCertificate({
          publicKey: csr.publicKey,
          commonName: csr.commonName,
          sans: request.sans,
          notBefore: request.notBefore,
          notAfter: request.notAfter,
          issuer: subCa,
        });
        counter += 1;
        return {
          identifier: `fake-${counter}`,
          serialNumber: inspectCertificate(certificatePem).serialNumber,
          certificatePem,
          chainPems: [subCa.certificatePem, root.certificatePem],
        };
      })();
      byToken.set(request.clientToken, work);
      work.catch(() => byToken.delete(request.clientToken));
      return work;
    },
    async revoke(identifier: string): Promise<void> {
      calls.revoke += 1;
      revoked.add(identifier);
    },
    async status(identifier: string) {
      return revoked.has(identifier) ? 'revoked' : 'good';
    },
    async getCaCertificate(identifier: string): Promise<CaCertificate> {
      calls.getCaCertificate += 1;
      return {
        identifier,
        certificatePem: subCa.certificatePem,
        chainPems: [root.certificatePem],
        status: 'ISSUE',
        type: 'SUB_ROOT',
        notAfter: inspectCertificate(subCa.certificatePem).notAfter,
      };
    },
  };
}

export class ManualClock {
  constructor(private t: number = Date.now()) {}
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}
