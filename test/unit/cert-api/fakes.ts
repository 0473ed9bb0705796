/**
 * In-memory stand-ins for the CA and the clock, for unit tests of the service's logic (the emulator covers the wire).
 * The CA really signs (shared/pki) and, like CAS, issues a new certificate on every create call. The object store fake
 * is the shared one (test/helpers/memory-object-store.ts), re-exported here for the service tests.
 */
import {
  createCertificateAuthority,
  parseCsr,
  signClientCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import type {
  CaCertificate,
  CaClientCertificate,
  CertificateAuthority,
  ClientCertificateListQuery,
  ClientCertificatePage,
  IssuedCertificate,
  IssueWithCsrRequest,
} from '../../../shared/domain/ports.js';
import { inspectCertificate } from '../../../shared/pki/index.js';

export { MemoryObjectStore, StoreFault, type StoreOperation } from '../../helpers/memory-object-store.js';

export interface FakeCertificate extends IssuedCertificate {
  customIdentifier: string;
  parentIdentifier: string;
  status: 'ISSUE' | 'REVOKE';
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** Order of creation and of the last change (issue or revoke): what ListCert's modification filter reads. */
  modifiedSeq: number;
  modifiedAt: Date;
}

export interface FakeCa extends CertificateAuthority {
  readonly root: CaMaterial;
  readonly subCa: CaMaterial;
  /** Certificates actually signed: like CAS, every create call signs a new one. */
  issuedCount(): number;
  /** Every certificate the fake CA holds, in order of issue. */
  certificates(): FakeCertificate[];
  calls: {
    issueWithCsr: number;
    revoke: number;
    getCaCertificate: number;
    describeClientCertificate: number;
    listClientCertificates: number;
  };
  revoked: Set<string>;
  failNextIssue(error: Error): void;
  /** The next issue signs the certificate, then throws `error` instead of answering (an answer lost on the way). */
  loseNextAnswer(error: Error): void;
  /** The next issue signs what `alter` makes of the request (a CA that does not do what it was asked). */
  alterNextRequest(alter: (request: IssueWithCsrRequest) => IssueWithCsrRequest): void;
  /** ListCert ignores its ParentIdentifier filter (undocumented whether CAS honours it). */
  listIgnoresParent: boolean;
  /** Drops every queued failure, lost answer and alteration. */
  clearScripts(): void;
  /** What a repeated CustomIdentifier does (undocumented in CAS): issue another, or refuse. */
  customIdentifierRepeats: 'new' | 'refuse';
  /** The clock the fake CA stamps modification times with. */
  clock: { now(): Date };
}

export class FakeCaRefusal extends Error {
  readonly statusCode = 400;
  /** CAS answered with a refusal: nothing was issued (shared/domain/ports.ts). */
  readonly nothingIssued = true;
  constructor(readonly code: string) {
    super(code);
  }
}

export async function createFakeCa(options: { keyAlgorithm?: 'EC_P256' | 'RSA_2048' } = {}): Promise<FakeCa> {
  const now = Date.now();
  const root = await createCertificateAuthority({
    commonName: 'Test Root CA',
    notAfter: new Date(now + 3650 * 86_400_000),
    ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
  });
  const subCa = await createCertificateAuthority({
    commonName: 'Test Client Sub CA',
    issuer: root,
    notAfter: new Date(now + 1825 * 86_400_000),
    pathLength: 0,
    ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
  });
  const subCaFamily = inspectCertificate(subCa.certificatePem).keyAlgorithm.startsWith('EC_') ? 'EC' : 'RSA';
  const issued: FakeCertificate[] = [];
  const byIdentifier = new Map<string, FakeCertificate>();
  const revoked = new Set<string>();
  const pendingErrors: Error[] = [];
  const lostAnswers: Error[] = [];
  const alterations: Array<(request: IssueWithCsrRequest) => IssueWithCsrRequest> = [];
  let seq = 0;
  const calls = {
    issueWithCsr: 0,
    revoke: 0,
    getCaCertificate: 0,
    describeClientCertificate: 0,
    listClientCertificates: 0,
  };
  const fake: FakeCa = {
    root,
    subCa,
    calls,
    revoked,
    customIdentifierRepeats: 'new',
    listIgnoresParent: false,
    clock: { now: () => new Date() },
    issuedCount: () => issued.length,
    certificates: () => [...issued],
    failNextIssue: (error) => pendingErrors.push(error),
    loseNextAnswer: (error) => lostAnswers.push(error),
    alterNextRequest: (alter) => alterations.push(alter),
    clearScripts: () => {
      pendingErrors.length = 0;
      lostAnswers.length = 0;
      alterations.length = 0;
    },
    async issueWithCsr(asked: IssueWithCsrRequest): Promise<IssuedCertificate> {
      calls.issueWithCsr += 1;
      const request = (alterations.shift() ?? ((r: IssueWithCsrRequest) => r))(asked);
      const error = pendingErrors.shift();
      if (error) throw error;
      if (
        fake.customIdentifierRepeats === 'refuse' &&
        issued.some((c) => c.customIdentifier === request.customIdentifier)
      )
        throw new FakeCaRefusal('InvalidParameter.CustomIdentifier');
      // Like CAS: no idempotency token, every call signs a new certificate.
      const csr = await parseCsr(request.csrPem);
      const certificatePem = await signClientCertificate({
        publicKey: csr.publicKey,
        commonName: csr.commonName,
        sans: request.sans,
        notBefore: request.notBefore,
        notAfter: request.notAfter,
        issuer: subCa,
      });
      seq += 1;
      const certificate: FakeCertificate = {
        identifier: `fake-${seq}`,
        serialNumber: inspectCertificate(certificatePem).serialNumber,
        certificatePem,
        chainPems: [subCa.certificatePem, root.certificatePem],
        customIdentifier: request.customIdentifier,
        parentIdentifier: request.parentIdentifier,
        status: 'ISSUE',
        commonName: csr.commonName,
        notBefore: request.notBefore,
        notAfter: request.notAfter,
        modifiedSeq: seq,
        modifiedAt: fake.clock.now(),
      };
      issued.push(certificate);
      byIdentifier.set(certificate.identifier, certificate);
      const lost = lostAnswers.shift();
      if (lost) throw lost;
      const { identifier, serialNumber, chainPems } = certificate;
      return { identifier, serialNumber, certificatePem, chainPems };
    },
    async revoke(identifier: string): Promise<void> {
      calls.revoke += 1;
      revoked.add(identifier);
      const certificate = byIdentifier.get(identifier);
      if (certificate && certificate.status !== 'REVOKE') {
        seq += 1;
        certificate.status = 'REVOKE';
        certificate.modifiedSeq = seq;
        certificate.modifiedAt = fake.clock.now();
      }
    },
    async status(identifier: string) {
      const certificate = byIdentifier.get(identifier);
      if (!certificate) return revoked.has(identifier) ? 'revoked' : 'unknown';
      return certificate.status === 'REVOKE' ? 'revoked' : 'good';
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
        keyFamily: subCaFamily,
      };
    },
    async describeClientCertificate(identifier: string): Promise<CaClientCertificate | undefined> {
      calls.describeClientCertificate += 1;
      const c = byIdentifier.get(identifier);
      return c ? { ...view(c), certificatePem: c.certificatePem, chainPems: c.chainPems } : undefined;
    },
    async listClientCertificates(query: ClientCertificateListQuery): Promise<ClientCertificatePage> {
      calls.listClientCertificates += 1;
      const size = query.pageSize ?? 50;
      const start = query.cursor ? Number(query.cursor) : 0;
      const since = query.modifiedSince?.getTime() ?? 0;
      const matching = issued
        .filter((c) => fake.listIgnoresParent || c.parentIdentifier === query.parentIdentifier)
        .filter((c) => c.modifiedAt.getTime() >= since)
        .sort((a, b) => a.modifiedSeq - b.modifiedSeq);
      const page = matching.slice(start, start + size);
      const next = start + size < matching.length ? String(start + size) : undefined;
      return { items: page.map(view), ...(next ? { cursor: next } : {}) };
    },
  };
  const view = (c: FakeCertificate): CaClientCertificate => ({
    identifier: c.identifier,
    serialNumber: c.serialNumber,
    status: c.status,
    customIdentifier: c.customIdentifier,
    parentIdentifier: c.parentIdentifier,
    commonName: c.commonName,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
  });
  return fake;
}

export class ManualClock {
  constructor(private t: number = Date.now()) {}
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
  /** A wait that takes no real time: it moves this clock (and lets other work run first). */
  sleep = async (ms: number): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.t += ms;
  };
}
