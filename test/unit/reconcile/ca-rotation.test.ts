// Prepare: two real CA hierarchies (EC P-256) and active clients under each. Act: findLockedOutClients with the
// native chain check. Assess: exactly the clients that get in today and would not tomorrow.
import {
  createCertificateAuthority,
  generateKeyPair,
  signClientCertificate,
  chainsTo,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import { findLockedOutClients } from '../../../shared/domain/listeners/ca-rotation.js';
import type { ActiveClientCertificate } from '../../../shared/domain/listeners/ports.js';

const notAfter = new Date(Date.now() + 365 * 86_400_000);

async function hierarchy(name: string): Promise<{ root: CaMaterial; sub: CaMaterial }> {
  const root = await createCertificateAuthority({ commonName: `${name} Root`, keyAlgorithm: 'EC_P256', notAfter });
  const sub = await createCertificateAuthority({
    commonName: `${name} Sub`,
    keyAlgorithm: 'EC_P256',
    notAfter,
    issuer: root,
  });
  return { root, sub };
}

async function client(id: string, sub: CaMaterial): Promise<ActiveClientCertificate> {
  const keys = await generateKeyPair('EC_P256');
  const certificatePem = await signClientCertificate({
    publicKey: keys.publicKey,
    commonName: id,
    notAfter,
    issuer: sub,
  });
  return { id, commonName: id, certificatePem, intermediatePems: [sub.certificatePem] };
}

describe('findLockedOutClients', () => {
  let a: { root: CaMaterial; sub: CaMaterial };
  let b: { root: CaMaterial; sub: CaMaterial };
  let clients: ActiveClientCertificate[];

  beforeAll(async () => {
    a = await hierarchy('A');
    b = await hierarchy('B');
    clients = [await client('cc-a1', a.sub), await client('cc-a2', a.sub), await client('cc-b1', b.sub)];
  });

  it('finds nobody locked out when the new CA is the root above the current sub-CA', () => {
    const finding = findLockedOutClients(clients, a.sub.certificatePem, a.root.certificatePem, chainsTo);

    expect(finding).toEqual({ affected: 2, lockedOut: [] });
  });

  it('finds the clients of the current CA that do not chain to the new one', () => {
    const finding = findLockedOutClients(clients, a.root.certificatePem, b.root.certificatePem, chainsTo);

    expect(finding).toEqual({ affected: 2, lockedOut: ['cc-a1', 'cc-a2'] });
  });

  it('checks every active client when the current CA is unknown', () => {
    const finding = findLockedOutClients(clients, undefined, b.root.certificatePem, chainsTo);

    expect(finding).toEqual({ affected: 3, lockedOut: ['cc-a1', 'cc-a2'] });
  });
});
