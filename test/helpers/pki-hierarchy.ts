/**
 * A throwaway CA hierarchy for tests (root -> sub-CA -> leaves), the shape the project uses in production:
 * listeners trust the root, clients are issued by the sub-CA and send it along with their leaf.
 */
import {
  createCertificateAuthority,
  generateKeyPair,
  signClientCertificate,
  type CaMaterial,
  type KeyAlgorithm,
  type KeyPair,
  type SubjectAltNames,
} from '../../shared/pki/index.js';

export interface TestHierarchy {
  root: CaMaterial;
  sub: CaMaterial;
}

export interface IssuedClient {
  keyPair: KeyPair;
  certificatePem: string;
  /** sub-CA then root, as the project hands them out */
  chainPems: string[];
}

const DAY = 24 * 3600_000;

export async function createTestHierarchy(
  options: { name?: string; rootKey?: KeyAlgorithm; subKey?: KeyAlgorithm } = {},
): Promise<TestHierarchy> {
  const name = options.name ?? 'Test';
  const root = await createCertificateAuthority({
    commonName: `${name} Root CA`,
    keyAlgorithm: options.rootKey ?? 'EC_P256',
    notAfter: new Date(Date.now() + 3650 * DAY),
    pathLength: 1,
  });
  const sub = await createCertificateAuthority({
    commonName: `${name} Client Sub-CA`,
    keyAlgorithm: options.subKey ?? 'EC_P256',
    notAfter: new Date(Date.now() + 1825 * DAY),
    issuer: root,
    pathLength: 0,
  });
  return { root, sub };
}

export async function issueTestClient(
  hierarchy: TestHierarchy,
  options: { keyAlgorithm?: KeyAlgorithm; commonName?: string; sans?: Partial<SubjectAltNames>; days?: number } = {},
): Promise<IssuedClient> {
  const keyPair = await generateKeyPair(options.keyAlgorithm ?? 'EC_P256');
  const certificatePem = await signClientCertificate({
    publicKey: keyPair.publicKey,
    commonName: options.commonName ?? 'test-client',
    sans: options.sans,
    notAfter: new Date(Date.now() + (options.days ?? 30) * DAY),
    issuer: hierarchy.sub,
  });
  return { keyPair, certificatePem, chainPems: [hierarchy.sub.certificatePem, hierarchy.root.certificatePem] };
}

/** Runs `worker` over `items` with at most `limit` at a time (JVM and RSA-4096 runs are heavy on 2 cores). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}
