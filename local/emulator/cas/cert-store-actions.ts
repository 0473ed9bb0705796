/** CAS 2020-04-07 actions over the certificate store, with the request and response fields of contracts/cas-2020-04-07. */
import { X509Certificate } from 'node:crypto';
import { ApiError } from '../rpc/api-error.js';
import type { RpcProduct } from '../rpc/server.js';
import { type CertificateStore, type UserCertificate, splitPem } from './cert-store.js';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function detail(store: CertificateStore, c: UserCertificate, withContent: boolean): Record<string, unknown> {
  const [leafPem, ...chain] = splitPem(c.certPem);
  const leaf = new X509Certificate(leafPem);
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  const subject = Object.fromEntries(
    leaf.subject.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const sans = (leaf.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => s.replace(/^[A-Za-z ]+:/, ''));
  const keyType = leaf.publicKey.asymmetricKeyType;
  return {
    Id: c.certId,
    Name: c.name,
    CertIdentifier: store.identifierOf(c.certId),
    Common: subject.CN ?? '',
    Sans: sans.join(','),
    Issuer: leaf.issuer.replace(/\n/g, ', '),
    OrgName: subject.O ?? '',
    Country: subject.C ?? '',
    Province: subject.ST ?? '',
    City: subject.L ?? '',
    NotBefore: notBefore,
    NotAfter: notAfter,
    StartDate: day(notBefore),
    EndDate: day(notAfter),
    Expired: notAfter < Date.now(),
    Fingerprint: leaf.fingerprint.replace(/:/g, ''),
    Sha2: leaf.fingerprint256.replace(/:/g, ''),
    SerialNo: leaf.serialNumber.toLowerCase(),
    Algorithm: keyType === 'ec' ? 'ECC' : 'RSA',
    BuyInAliyun: false,
    ...(withContent ? { Cert: c.certPem, Key: c.keyPem, CertChain: chain.map((pem) => ({ Cert: pem })) } : {}),
  };
}

function certIdParam(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value))
    throw new ApiError(400, 'InvalidParameter', 'The specified parameter "CertId" is not valid.');
  return Number(value);
}

export function certStoreProduct(store: CertificateStore): RpcProduct {
  const find = (certId: number) => {
    const c = store.get(certId);
    if (!c) throw new ApiError(404, 'NotFound.Certificate', `The certificate ${certId} does not exist.`);
    return c;
  };
  return {
    product: 'cas',
    version: '2020-04-07',
    hostId: 'cas.aliyuncs.com',
    actions: {
      UploadUserCertificate: (p) => {
        const c = store.upload({
          name: p.requiredString('Name'),
          certPem: p.requiredString('Cert'),
          keyPem: p.requiredString('Key'),
        });
        return { CertId: c.certId, ResourceId: `acs:cas:${store.region}:local:usercert/${c.certId}` };
      },
      GetUserCertificateDetail: (p) => {
        const c = find(certIdParam(p.string('CertId')));
        return detail(store, c, p.bool('CertFilter') !== true);
      },
      DeleteUserCertificate: (p) => {
        const certId = certIdParam(p.string('CertId'));
        find(certId);
        store.delete(certId);
        return {};
      },
    },
  };
}
