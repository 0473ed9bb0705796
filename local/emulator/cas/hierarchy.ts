/**
 * More CA hierarchies in the emulated private CA: CreateRootCACertificate and CreateSubCACertificate as the
 * published CAS 2020-06-30 models define them (contracts/cas-2020-06-30), and the same as a handle helper for tests
 * (`emulator.cas.addHierarchy()`), so a CA rotation (a new root and a sub-CA under it) can be played locally.
 * Also `setCaStatus` (a revoked CA) for the refusals a rotation must make. Keys and certificates really sign
 * (shared/pki); everything is kept in the data dir's `cas/ca.json` beside the seeded hierarchy.
 */
import { X509Certificate } from 'node:crypto';
import type { KeyAlgorithm } from '../../../shared/domain/client-certificate.js';
import { createCertificateAuthority } from '../../../shared/pki/index.js';
import { ApiError, invalidParameter } from '../rpc/api-error.js';
import type { RpcParams } from '../rpc/params.js';
import type { RpcHandler } from '../rpc/server.js';
import { pcaIdentifier, type CaRecord, type PrivateCa } from './pca.js';

const DAY_MS = 86_400_000;

/** CAS's algorithm names (the models' `Algorithm` valid values) that the emulator can make keys for. */
const CA_ALGORITHMS: Record<string, KeyAlgorithm> = {
  RSA_2048: 'RSA_2048',
  RSA_4096: 'RSA_4096',
  ECC_256: 'EC_P256',
  ECC_384: 'EC_P384',
};

export interface NewCa {
  commonName: string;
  keyAlgorithm: KeyAlgorithm;
  /** Lifetime in days (the API takes whole years; tests may ask for less to make an expiring CA). */
  days: number;
  organization?: string;
}

export interface Hierarchy {
  rootIdentifier: string;
  rootCertificatePem: string;
  subCaIdentifier: string;
  subCaCertificatePem: string;
}

async function makeCa(pca: PrivateCa, input: NewCa, parent?: CaRecord): Promise<CaRecord> {
  const issuer = parent ? pca.caMaterial(parent.identifier) : undefined;
  if (parent && !issuer) throw new Error(`no key for CA ${parent.identifier}`);
  const material = await createCertificateAuthority({
    commonName: input.commonName,
    organization: input.organization ?? 'nlb-mtls-autopilot',
    keyAlgorithm: input.keyAlgorithm,
    notAfter: new Date(Date.now() + input.days * DAY_MS),
    ...(issuer ? { issuer } : {}),
    pathLength: parent ? 0 : 1,
  });
  const record: CaRecord = {
    identifier: pcaIdentifier(),
    ...(parent ? { parentIdentifier: parent.identifier } : {}),
    certificateType: parent ? 'SUB_ROOT' : 'ROOT',
    commonName: input.commonName,
    certificatePem: material.certificatePem,
    privateKeyPem: material.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAt: Date.now(),
  };
  pca.registerCa(record);
  return record;
}

/** A new root and one sub-CA under it (the sub-CA lives `subCaDays`, default 5 years; the root 10). */
export async function addHierarchy(
  pca: PrivateCa,
  options: { name?: string; keyAlgorithm?: KeyAlgorithm; rootDays?: number; subCaDays?: number } = {},
): Promise<Hierarchy> {
  const name =
    options.name ?? `Emulated PCA Root CA ${pca.caCertificates().filter((c) => !c.parentIdentifier).length + 1}`;
  const keyAlgorithm = options.keyAlgorithm ?? keyAlgorithmOfCa(pca, pca.root);
  const root = await makeCa(pca, { commonName: name, keyAlgorithm, days: options.rootDays ?? 3650 });
  const sub = await makeCa(
    pca,
    {
      commonName: name.includes('Root CA') ? name.replace('Root CA', 'Sub CA') : `${name} Sub CA`,
      keyAlgorithm,
      days: options.subCaDays ?? 1825,
    },
    root,
  );
  return {
    rootIdentifier: root.identifier,
    rootCertificatePem: root.certificatePem,
    subCaIdentifier: sub.identifier,
    subCaCertificatePem: sub.certificatePem,
  };
}

/** What DescribeCACertificate reports as Status from now on (e.g. `REVOKE`). */
export function setCaStatus(pca: PrivateCa, identifier: string, status: 'ISSUE' | 'REVOKE'): void {
  const ca = pca.getCa(identifier);
  if (!ca) throw new Error(`no CA ${identifier}`);
  pca.registerCa({ ...ca, status });
}

function keyAlgorithmOfCa(pca: PrivateCa, ca: CaRecord): KeyAlgorithm {
  const key = new X509Certificate(ca.certificatePem).publicKey;
  if (pca.caKeyFamily(ca.identifier) === 'ECC')
    return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'EC_P384' : 'EC_P256';
  return (key.asymmetricKeyDetails?.modulusLength ?? 2048) >= 4096 ? 'RSA_4096' : 'RSA_2048';
}

function caAnswer(pca: PrivateCa, ca: CaRecord): Record<string, unknown> {
  return {
    Identifier: ca.identifier,
    Certificate: ca.certificatePem,
    CertificateChain: pca.caChainPems(ca.identifier).join(''),
  };
}

function readNewCa(p: RpcParams, defaultAlgorithm: string): NewCa {
  const algorithm = p.string('Algorithm') ?? defaultAlgorithm;
  const keyAlgorithm = CA_ALGORITHMS[algorithm];
  if (!keyAlgorithm)
    throw invalidParameter('Algorithm', `The emulator makes ${Object.keys(CA_ALGORITHMS).join(', ')} keys.`);
  const years = p.int('Years', { min: 1 });
  if (years === undefined) throw invalidParameter('Years');
  return {
    commonName: p.requiredString('CommonName'),
    organization: p.requiredString('Organization'),
    keyAlgorithm,
    days: years * 365,
  };
}

/** CreateRootCACertificate and CreateSubCACertificate (request and answer fields of contracts/cas-2020-06-30). */
export function pcaHierarchyActions(pca: PrivateCa): Record<string, RpcHandler> {
  return {
    CreateRootCACertificate: async (p) => {
      // Locality, OrganizationUnit and State are required by the model; the gateway's check refused their absence.
      for (const name of ['Locality', 'OrganizationUnit', 'State']) p.requiredString(name);
      return caAnswer(pca, await makeCa(pca, readNewCa(p, 'RSA_2048')));
    },
    CreateSubCACertificate: async (p) => {
      for (const name of ['Locality', 'OrganizationUnit', 'State']) p.requiredString(name);
      const parentId = p.string('ParentIdentifier');
      const parent = parentId ? pca.getCa(parentId) : undefined;
      if (!parent || parent.certificateType !== 'ROOT')
        throw new ApiError(
          404,
          'NotFound.ParentIdentifier',
          `The root CA certificate ${parentId ?? ''} does not exist.`,
        );
      const input = readNewCa(p, 'RSA_2048');
      const rootNotAfter = Date.parse(new X509Certificate(parent.certificatePem).validTo);
      if (Date.now() + input.days * DAY_MS > rootNotAfter)
        throw new ApiError(400, 'InvalidParameter.Years', 'The sub-CA cannot outlive its root CA.');
      return caAnswer(pca, await makeCa(pca, input, parent));
    },
  };
}

/** The handle's helpers for what this file adds (`emulator.cas.*`), beside local/emulator/helpers.ts's. */
export interface LifecycleCasHelpers {
  /** A new root CA and a sub-CA under it (a CA rotation's target); no API call, not counted. */
  addHierarchy(options?: Parameters<typeof addHierarchy>[1]): Promise<Hierarchy>;
  /** What DescribeCACertificate reports as the CA's Status from now on (`REVOKE`: a revoked CA). */
  setCaStatus(identifier: string, status: 'ISSUE' | 'REVOKE'): void;
  /** Key of any emulated CA, for tests that sign as it. Never log it. */
  exportCaKeyPem(identifier: string): string;
  /** A CA's public facts (the local stack resolves a configured sub-CA's root with it). */
  describeCa(identifier: string): { identifier: string; parentIdentifier?: string; certificatePem: string } | undefined;
}

export function createLifecycleCasHelpers(pca: PrivateCa): LifecycleCasHelpers {
  return {
    addHierarchy: (options) => addHierarchy(pca, options),
    setCaStatus: (identifier, status) => setCaStatus(pca, identifier, status),
    describeCa: (identifier) => {
      const ca = pca.getCa(identifier);
      return (
        ca && {
          identifier: ca.identifier,
          ...(ca.parentIdentifier ? { parentIdentifier: ca.parentIdentifier } : {}),
          certificatePem: ca.certificatePem,
        }
      );
    },
    exportCaKeyPem: (identifier) => {
      const ca = pca.getCa(identifier);
      if (!ca) throw new Error(`no CA ${identifier}`);
      return ca.privateKeyPem;
    },
  };
}
